# kcl completion for PowerShell 7.3 or newer. Load it from your $PROFILE:
#   kcl completion powershell | Out-String | Invoke-Expression
Register-ArgumentCompleter -Native -CommandName kcl, kcl.exe -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)
    $words = @($commandAst.CommandElements | Where-Object { $_.Extent.StartOffset -lt $cursorPosition } | ForEach-Object { $_.Extent.Text })
    if ($wordToComplete -eq '') { $words += '' }
    $rest = if ($words.Count -gt 1) { $words[1..($words.Count - 1)] } else { @() }
    & $words[0] __complete @rest 2>$null | ForEach-Object {
        $value, $description = $_ -split [char]9, 2
        if (-not $description) { $description = $value }
        [System.Management.Automation.CompletionResult]::new($value, $value, 'ParameterValue', $description)
    }
}
