#compdef kcl
# kcl completion for zsh. Load it from ~/.zshrc, after compinit:
#   source <(kcl completion zsh)
# or save it as _kcl in a directory of your $fpath.
_kcl() {
  local -a candidates
  local line
  for line in "${(@f)$("${words[1]}" __complete "${(@)words[2,CURRENT]}" 2>/dev/null)}"; do
    [[ -z "$line" ]] && continue
    if [[ "$line" == *$'\t'* ]]; then
      candidates+=("${${line%%$'\t'*}//:/\\:}:${line#*$'\t'}")
    else
      candidates+=("${line//:/\\:}")
    fi
  done
  _describe -V kcl candidates
}
if [[ "$funcstack[1]" == "_kcl" ]]; then
  _kcl "$@"
else
  compdef _kcl kcl
fi
