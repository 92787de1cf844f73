# bash completion for backport -*- shell-script -*-
# SPDX-License-Identifier: GPL-2.0-or-later
# Each command completes itself (src/cli/cmd-NAME.c, BP_COMPLETE): this only
# asks `backport complete` and hands its words to bash.  __FILES__ and
# __DIRS__ ask bash for paths.
_backport() {
    local cur=${COMP_WORDS[COMP_CWORD]} word
    COMPREPLY=()
    while IFS= read -r word; do
        case $word in
            __FILES__) while IFS= read -r word; do COMPREPLY+=("$word"); done < <(compgen -f -- "$cur") ;;
            __DIRS__) while IFS= read -r word; do COMPREPLY+=("$word"); done < <(compgen -d -- "$cur") ;;
            *) COMPREPLY+=("$word") ;;
        esac
    done < <("${COMP_WORDS[0]}" complete "$COMP_LINE" "$COMP_POINT" 2>/dev/null)
    [ ${#COMPREPLY[@]} -eq 1 ] && [ -d "${COMPREPLY[0]}" ] && compopt -o nospace 2>/dev/null
    return 0
}
complete -o filenames -F _backport backport
