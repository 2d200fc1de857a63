# Bash completion for seclabel (installed by `zig build` under share/bash-completion/completions).
_seclabel() {
	local cur prev cmd
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	cmd=${COMP_WORDS[1]}
	local commands="register show history search import export withdraw whoami label labels validate verify monitor cache config admin"
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W "$commands --server --token --help --version" -- "$cur"))
		return
	fi
	case $prev in
	--format) [ "$cmd" = export ] && COMPREPLY=($(compgen -W "jsonl cta-2120" -- "$cur")) ||
		COMPREPLY=($(compgen -W "png svg pdf zpl term" -- "$cur")); return ;;
	--layout) COMPREPLY=($(compgen -W "full compact qr" -- "$cur")); return ;;
	--sheet) COMPREPLY=($(compgen -W "a4 letter" -- "$cur")); return ;;
	--support) COMPREPLY=($(compgen -W "active ending_soon ended" -- "$cur")); return ;;
	--compliant) COMPREPLY=($(compgen -W "true false" -- "$cur")); return ;;
	--ec) COMPREPLY=($(compgen -W "L M Q H" -- "$cur")); return ;;
	--lang) COMPREPLY=($(compgen -W "en de zh" -- "$cur")); return ;;
	-o | --ids | --data) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	--save | --offline | --state) COMPREPLY=($(compgen -d -- "$cur")); return ;;
	--from-checkpoint | --cursor) COMPREPLY=($(compgen -f -- "$cur")); return ;;
	esac
	case $cmd in
	register | validate) COMPREPLY=($(compgen -f -- "$cur")) ;;
	import) COMPREPLY=($(compgen -f -W "--default-password --json --help" -- "$cur")) ;;
	label) COMPREPLY=($(compgen -W "--format --layout --size --dpi --ec --lang -o --help" -- "$cur")) ;;
	labels) COMPREPLY=($(compgen -W "--manufacturer --ids --sheet --crop-marks --layout --size --lang -o --help" -- "$cur")) ;;
	search) COMPREPLY=($(compgen -W "--support --manufacturer --compliant --limit --cursor --json --help" -- "$cur")) ;;
	export) COMPREPLY=($(compgen -W "--manufacturer --format -o --help" -- "$cur")) ;;
	show | history) COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
	monitor) COMPREPLY=($(compgen -W "--once --json --interval --audit --state --from-checkpoint --from-size --log-key --help" -- "$cur")) ;;
	cache) COMPREPLY=($(compgen -W "purge --varnish --follow --cursor --interval --help" -- "$cur")) ;;
	verify) COMPREPLY=($(compgen -W "--log-key --json --save --offline --help" -- "$cur")) ;;
	config) COMPREPLY=($(compgen -W "set show server token log-key" -- "$cur")) ;;
	admin) COMPREPLY=($(compgen -W "manufacturer token add show list disable prefix id-prefix verify unverify remove issue revoke stats backup restore log sign --public-url --log-key --name --contact --website --evidence --reason --data" -- "$cur")) ;;
	esac
}
complete -F _seclabel seclabel
