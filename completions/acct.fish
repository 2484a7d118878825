# acct completion for fish; install as ~/.config/fish/completions/acct.fish
complete --keep-order --exclusive --command acct --arguments "(COMPLETE=fish acct -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
