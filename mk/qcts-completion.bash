# bash completion for qcts (installed by make install as
# share/bash-completion/completions/qcts). Commands and options come from
# the program itself ('qcts help', 'qcts help COMMAND'), so they never drift.
_qcts() {
    local cur prev cmd i
    cur=${COMP_WORDS[COMP_CWORD]}
    prev=${COMP_WORDS[COMP_CWORD-1]}
    cmd=
    for ((i = 1; i < COMP_CWORD; i++)); do
        case ${COMP_WORDS[i]} in
        --data-dir) ((i++)) ;;
        -*) ;;
        *) cmd=${COMP_WORDS[i]}; break ;;
        esac
    done
    if [[ -z $cmd ]]; then
        if [[ $prev == --data-dir ]]; then
            COMPREPLY=($(compgen -d -- "$cur"))
            return
        fi
        local cmds
        cmds=$("${COMP_WORDS[0]}" help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')
        COMPREPLY=($(compgen -W "$cmds --data-dir --version --help" -- "$cur"))
        return
    fi
    case $prev in
    --vectors|--dir|--out|--in|--json|--junit|--db|--md|--html|--data-dir)
        COMPREPLY=($(compgen -f -- "$cur")); return ;;
    --backend)
        COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" list backends 2>/dev/null | awk 'NR > 1 { print $1 }') all plugin: exec:" -- "$cur"))
        return ;;
    --to|--from)
        COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" list formats 2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur"))
        return ;;
    --convention)
        COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" list conventions 2>/dev/null | awk 'NR > 1 { print $1 }')" -- "$cur"))
        return ;;
    esac
    if [[ $cmd == help ]]; then
        COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" help 2>/dev/null | awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }')" -- "$cur"))
        return
    fi
    if [[ $cur == -* ]]; then
        local opts
        opts=$("${COMP_WORDS[0]}" help "$cmd" 2>/dev/null | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u)
        COMPREPLY=($(compgen -W "$opts --help" -- "$cur"))
        return
    fi
    COMPREPLY=($(compgen -f -- "$cur"))
}
complete -F _qcts qcts
