# bash completion for parleyctl(1) — installed as
# share/bash-completion/completions/parleyctl (loaded on first use).

_parleyctl_outputs() {
    # the outputs of the running parleyd, for `replay OUTPUT`
    parleyctl "${_parleyctl_global[@]}" --json journal stats 2>/dev/null |
        grep -o '"name":"[^"]*"' | sed 's/"name":"\(.*\)"/\1/'
}

_parleyctl() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null 2>&1; then
        _init_completion || return
    else
        cur=${COMP_WORDS[COMP_CWORD]}
        prev=${COMP_WORDS[COMP_CWORD-1]}
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi

    local globals="--url --token-file --state-dir --json --help --version"
    local commands="status tail reply dm hide resolve assign replay journal help"
    local target="--connector --platform --account --agent --key"

    case $prev in
        --token-file)
            COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --state-dir)
            COMPREPLY=($(compgen -d -- "$cur")); return ;;
        --url|--match|--from|--connector|--platform|--account|--agent|--key|--conversation|--recipient)
            return ;;
    esac

    # the command: the first word that is neither an option nor its value
    local i cmd="" npos=0
    _parleyctl_global=()
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --url|--token-file|--state-dir)
                _parleyctl_global+=("${words[i]}" "${words[i+1]}"); ((i++)) ;;
            --match|--from|--connector|--platform|--account|--agent|--key|--conversation|--recipient)
                ((i++)) ;;
            -*) ;;
            *) if [[ -z $cmd ]]; then cmd=${words[i]}; else ((npos++)); fi ;;
        esac
    done

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$globals" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi

    local opts=""
    case $cmd in
        status) opts="" ;;
        tail) opts="--match --after --no-reconnect" ;;
        reply) opts="--private --conversation $target" ;;
        dm) opts="--conversation --recipient $target" ;;
        hide) opts="--undo $target" ;;
        resolve|assign) opts="--agent --key" ;;
        replay) opts="--from" ;;
        journal)
            if [[ $npos -eq 0 && $cur != -* ]]; then
                COMPREPLY=($(compgen -W "stats" -- "$cur")); return
            fi ;;
    esac
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$opts --json --url --token-file --state-dir" -- "$cur"))
    elif [[ $cmd == replay && $npos -eq 0 ]]; then
        COMPREPLY=($(compgen -W "$(_parleyctl_outputs)" -- "$cur"))
    fi
}
complete -F _parleyctl parleyctl
