/*
 * outopts.c - the output controls `riptide extract` and `riptide bench` share: --links /
 * --no-links, --images / --no-images, --tables / --no-tables, with the same defaults, so that
 * bench measures the work extract does.
 */
#include "cli/cli.h"

void cli_output_defaults(riptide_options *o)
{
  o->want_links = false; /* the library's default is true: the command keeps pages lean */
  o->want_media = false;
  o->want_tables = true;
}

bool cli_output_option(int ch, riptide_options *o)
{
  switch (ch) {
  case CLI_OPT_LINKS:
  case CLI_OPT_NO_LINKS:
    o->want_links = ch == CLI_OPT_LINKS;
    return true;
  case CLI_OPT_IMAGES:
  case CLI_OPT_NO_IMAGES:
    o->want_media = ch == CLI_OPT_IMAGES;
    return true;
  case CLI_OPT_TABLES:
  case CLI_OPT_NO_TABLES:
    o->want_tables = ch == CLI_OPT_TABLES;
    return true;
  default:
    return false;
  }
}
