#!/bin/sh
# The "editor" of the `hush edit` benchmark: changes the first password value of the file it is
# given (every generated file has one), like a person changing one setting. One expression per
# format; each changes at most its first match.
exec sed -i \
  -e '0,/^\( *password: \).*/s//\1changed-by-bench/' \
  -e '0,/^\(\t*"password": \)"[^"]*"/s//\1"changed-by-bench"/' \
  -e '0,/^\([A-Z0-9_]*PASSWORD=\).*/s//\1changed-by-bench/' \
  "$1"
