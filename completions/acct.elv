# acct completion for elvish; load with: eval (acct completions elvish | slurp)

set edit:completion:arg-completer[acct] = { |@words|
    var index = (count $words)
    set index = (- $index 1)

    put (env _CLAP_IFS="\n" _CLAP_COMPLETE_INDEX=(to-string $index) COMPLETE="elvish" acct -- $@words) | to-lines
}

