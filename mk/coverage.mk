# mk/coverage.mk - `make coverage`: the test suite built with gcov instrumentation (COVERAGE=1,
# -O0, its own dir build-coverage), run once, then line and branch coverage per module folder
# (scripts/coverage.sh, gcovr) with an HTML report in build-coverage/coverage/index.html.
# The wasm2c-generated guest is not instrumented; the guest's parser and extractor are measured
# through their native build, which the unit tests drive.
.PHONY: coverage
coverage: deps
	@$(MAKE) --no-print-directory COVERAGE=1 build-tests
	@find build-coverage -name '*.gcda' -delete
	@COVERAGE_RUN=1 TEST_EXCLUDE='test-python|test-install' scripts/run-tests.sh build-coverage $(SHARED) || echo "coverage: some tests failed (the table still shows what ran)"
	@scripts/coverage.sh build-coverage
