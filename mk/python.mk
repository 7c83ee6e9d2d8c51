# mk/python.mk - `make python`: the riptide Python package (python/), built with setuptools
# into $(BUILD)/python (PYTHONPATH=$(BUILD)/python python3 -c 'import riptide'). PYTHON picks
# the interpreter (default: the python3 first on PATH).
PYTHON ?= python3
.PHONY: python
python: $(LIB_A)
	cd python && RIPTIDE_LIBRARY=$(abspath $(LIB_A)) $(PYTHON) setup.py -q build \
	  --build-base $(abspath $(BUILD))/python-build --build-lib $(abspath $(BUILD))/python
