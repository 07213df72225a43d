# bash completion for memmap(8)                                    -*- shell-script -*-
# Commands and options are read from `memmap --help` (and `memmap CMD --help`), so new
# commands complete without editing this file. PCI addresses (BDFs) come from
# /sys/bus/pci/devices, or DIR/sys/bus/pci/devices when --root DIR is on the line.

# Subcommand names.
_memmap_commands()
{
  "$1" --help 2>/dev/null | awk '/^Subcommands:/ {f = 1; next} f && /^  [a-z]/ {print $1}'
}

# Option names of memmap (and of a command: _memmap_options BIN CMD).
_memmap_options()
{
  "$@" --help 2>/dev/null | awk '/^  -/ {print $1}' | tr ',' '\n'
}

# PCI functions of the machine, or of a sysroot ($1).
_memmap_bdfs()
{
  local d="${1:-}/sys/bus/pci/devices" e
  for e in "$d"/*; do
    [[ -e $e || -L $e ]] && printf '%s\n' "${e##*/}"
  done
}

# Snapshot tarballs starting with $1.
_memmap_tarballs()
{
  local reset
  reset=$(shopt -p extglob)
  shopt -s extglob
  compgen -f -X '!*.@(tar.gz|tgz)' -- "$1"
  eval "$reset"
}

_memmap()
{
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
  local bin=${COMP_WORDS[0]} cmds cmd="" root="" i w
  COMPREPLY=()
  cmds=$(_memmap_commands "$bin")
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    case $w in
      --root) root=${COMP_WORDS[i + 1]}; ((i++)); continue ;;
      --root=*) root=${w#--root=}; continue ;;
      --iomem | --ioports | --lspci | --color | --filter | --depth | --only) ((i++)); continue ;;
      -*) continue ;;
    esac
    if [[ -z $cmd ]] && grep -qx -- "$w" <<<"$cmds"; then
      cmd=$w
    fi
  done
  root=${root/#\~/$HOME}

  case $prev in
    --root)
      COMPREPLY=($(compgen -d -- "$cur") $(_memmap_tarballs "$cur"))
      compopt -o filenames 2>/dev/null
      return ;;
    --iomem | --ioports | --lspci)
      COMPREPLY=($(compgen -f -- "$cur"))
      compopt -o filenames 2>/dev/null
      return ;;
    --color)
      COMPREPLY=($(compgen -W "auto always never" -- "$cur"))
      return ;;
    --filter)
      COMPREPLY=($(compgen -W "$(_memmap_bdfs "$root")" -- "$cur"))
      return ;;
    --only)
      local ids
      ids=$("$bin" diff --help 2>/dev/null | sed -n 's/.*--only.*(comma-separated): //p' | tr -d ',')
      COMPREPLY=($(compgen -W "$ids" -- "$cur"))
      return ;;
    --depth)
      return ;;
  esac

  if [[ $cur == -* ]]; then
    # Global options are accepted after the command too.
    COMPREPLY=($(compgen -W "$(_memmap_options "$bin"; [[ -n $cmd ]] && _memmap_options "$bin" "$cmd")" -- "$cur"))
    return
  fi
  if [[ -z $cmd ]]; then
    COMPREPLY=($(compgen -W "$cmds" -- "$cur"))
    return
  fi
  case $cmd in
    snapshot)
      COMPREPLY=($(compgen -d -- "$cur") $(_memmap_tarballs "$cur"))
      compopt -o filenames 2>/dev/null ;;
    fit)
      # fit BDF BAR SIZE: a PCI function, then a BAR number; SIZE is free text.
      local n=0 seen=""
      for ((i = 1; i < COMP_CWORD; i++)); do
        w=${COMP_WORDS[i]}
        [[ $w == --root || $w == --iomem || $w == --ioports || $w == --lspci || $w == --color ]] && { ((i++)); continue; }
        [[ $w == -* ]] && continue
        [[ -n $seen ]] && ((n++))
        [[ $w == fit ]] && seen=1
      done
      if ((n == 0)); then
        COMPREPLY=($(compgen -W "$(_memmap_bdfs "$root")" -- "$cur"))
      elif ((n == 1)); then
        COMPREPLY=($(compgen -W "0 1 2 3 4 5" -- "$cur"))
      fi ;;
    diff)
      COMPREPLY=($(compgen -W live -- "$cur") $(compgen -d -- "$cur") $(_memmap_tarballs "$cur"))
      compopt -o filenames 2>/dev/null ;;
    *)
      # Commands whose arguments are PCI functions say BDF in their --help.
      if "$bin" "$cmd" --help 2>/dev/null | grep -q 'BDF'; then
        COMPREPLY=($(compgen -W "$(_memmap_bdfs "$root")" -- "$cur"))
      fi ;;
  esac
}
complete -F _memmap memmap
