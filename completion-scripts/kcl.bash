# kcl completion for bash 4.4 or newer. Load it from ~/.bashrc:
#   source <(kcl completion bash)
_kcl_completion() {
  local line="${COMP_LINE:0:COMP_POINT}" current="${COMP_WORDS[COMP_CWORD]}"
  local -a words
  read -r -a words <<< "$line"
  [[ "$line" == *[[:space:]] ]] && words+=("")
  local typed="${words[${#words[@]}-1]}" candidate IFS=$'\n'
  COMPREPLY=()
  for candidate in $("${words[0]}" __complete "${words[@]:1}" 2>/dev/null); do
    candidate="${candidate%%$'\t'*}"
    # bash replaces only the part of the word after its last COMP_WORDBREAKS character (":" and "=" among them).
    COMPREPLY+=("${candidate:${#typed}-${#current}}")
  done
}
complete -o nosort -F _kcl_completion kcl
