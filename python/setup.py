"""setuptools build of the riptide package (make python). pip uses the stdlib-only backend of
pyproject.toml (_build/ripbuild.py); both link libriptide.a statically the same way."""
import os
import sys

from setuptools import Extension, setup

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "_build"))
import ripbuild  # noqa: E402

setup(
    name="riptide",
    version=ripbuild.version(),
    packages=["riptide"],
    package_data={"riptide": ["__init__.pyi", "py.typed"]},
    ext_modules=[Extension(
        "riptide._riptide",
        sources=["riptide/_riptide.c"],
        include_dirs=[ripbuild.include_dir()],
        extra_objects=[ripbuild.library()],
        extra_compile_args=ripbuild.EXTRA_COMPILE_ARGS,
        extra_link_args=ripbuild.EXTRA_LINK_ARGS + ripbuild.link_libs(),
    )],
)
