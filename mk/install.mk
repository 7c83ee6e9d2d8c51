# mk/install.mk - the library as a product: the shipped archive, pkg-config file, install.
#
#   make install   [PREFIX=/usr/local] [DESTDIR=]  installs
#                    $(INCLUDEDIR)/riptide.h
#                    $(LIBDIR)/libriptide.a             only riptide_* global (see below)
#                    $(LIBDIR)/libriptide.so.X.Y.Z      SONAME libriptide.so.X, and the links
#                    $(LIBDIR)/libriptide.so.X -> libriptide.so.X.Y.Z, libriptide.so -> .so.X
#                    $(LIBDIR)/pkgconfig/riptide.pc
#                    $(BINDIR)/riptide, $(MANDIR)/man1/riptide.1
#   make uninstall removes exactly those files.
#   Run ldconfig after installing into a system directory without DESTDIR (not done here).
#   scripts/test-install.sh (make test) installs into a temporary DESTDIR and builds the README's
#   example against it with pkg-config, statically and dynamically.
#
# The shipped archive: every object linked into one relocatable object (ld -r), whose hidden
# symbols (everything but RIPTIDE_API, since the library builds with -fvisibility=hidden) are
# then made local (objcopy --localize-hidden). A program linking libriptide.a statically sees the
# same symbols as one linking libriptide.so: riptide_* only, so rt_* and the generated guest's
# names cannot clash with its own. make check verifies both.

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR ?= $(PREFIX)/bin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
MANDIR ?= $(PREFIX)/share/man
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
INSTALL ?= install

$(LIB_PUBLIC_A): $(HOST_OBJ) $(WASM_OBJ)
	@mkdir -p $(dir $@)
	ld -r -o $(BUILD)/riptide-all.o $^
	objcopy --localize-hidden $(BUILD)/riptide-all.o
	rm -f $@ && ar rcs $@ $(BUILD)/riptide-all.o

# riptide.pc is written at install time, so it names the PREFIX given to `make install`.
# Libs.private: what a static link needs beyond the archive (libcurl is dlopen'ed at the first
# URL, see src/input/fetch.c, so it is not linked).
define RIPTIDE_PC_LINES
'prefix=$(PREFIX)' 'includedir=$(INCLUDEDIR)' 'libdir=$(LIBDIR)' '' 'Name: riptide' \
'Description: Article extraction from untrusted HTML in sandboxed WebAssembly instances' \
'Version: $(VERSION)' \
'Requires.private: libxml-2.0 jansson zlib libdeflate libutf8proc libcrypto' 'Cflags: -I$${includedir}' \
'Libs: -L$${libdir} -lriptide' 'Libs.private: -lpthread -lm -ldl'
endef

install: all
	$(INSTALL) -d $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR) \
	  $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	$(INSTALL) -m 644 include/riptide.h $(DESTDIR)$(INCLUDEDIR)/riptide.h
	$(INSTALL) -m 644 $(LIB_PUBLIC_A) $(DESTDIR)$(LIBDIR)/libriptide.a
	$(INSTALL) -m 755 $(LIB_SO_REAL) $(DESTDIR)$(LIBDIR)/libriptide.so.$(VERSION)
	ln -sf libriptide.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libriptide.so
	printf '%s\n' $(RIPTIDE_PC_LINES) > $(DESTDIR)$(PKGCONFIGDIR)/riptide.pc
	$(INSTALL) -m 755 $(CLI) $(DESTDIR)$(BINDIR)/riptide
	$(INSTALL) -m 644 docs/riptide.1 $(DESTDIR)$(MANDIR)/man1/riptide.1

uninstall:
	rm -f $(DESTDIR)$(INCLUDEDIR)/riptide.h $(DESTDIR)$(LIBDIR)/libriptide.a \
	  $(DESTDIR)$(LIBDIR)/libriptide.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME) \
	  $(DESTDIR)$(LIBDIR)/libriptide.so $(DESTDIR)$(PKGCONFIGDIR)/riptide.pc \
	  $(DESTDIR)$(BINDIR)/riptide $(DESTDIR)$(MANDIR)/man1/riptide.1
