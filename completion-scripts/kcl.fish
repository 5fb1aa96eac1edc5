# kcl completion for fish. Load it from ~/.config/fish/config.fish:
#   kcl completion fish | source
# or save it as ~/.config/fish/completions/kcl.fish.
function __kcl_complete
    set -l tokens (commandline -opc) (commandline -ct)
    $tokens[1] __complete $tokens[2..-1] 2>/dev/null
end
complete -c kcl -f -a '(__kcl_complete)'
