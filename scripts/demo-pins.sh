# Sourced by demo.sh and cleanup.sh: the demo's pin path and the marker that says its pins are the demo's.
# The demo pins under /sys/fs/bpf/flowlens-demo* only (never a production collector's pin path), and
# adopts an existing pin dir only when it carries the marker (an empty bpffs directory it made itself).
DEMO_PIN_MARKER=owned-by-flowlens-demo
DEMO_PIN_DEFAULT=/sys/fs/bpf/flowlens-demo

# Prints why $1 is not the demo's pin dir (nothing when it is, or when it does not exist yet); status 1 then.
demo_pins_refusal() {
  local pin=${1%/}
  case $pin in
  /sys/fs/bpf/flowlens-demo | /sys/fs/bpf/flowlens-demo-[a-z0-9]*) ;;
  *)
    echo "pin path $pin is not a demo pin path (/sys/fs/bpf/flowlens-demo[-NAME]); refusing to use it"
    return 1
    ;;
  esac
  [[ $pin != *..* ]] || { echo "pin path $pin must not contain '..'"; return 1; }
  if [[ -e $pin && ! -d $pin/$DEMO_PIN_MARKER ]]; then
    echo "$pin holds pins that are not the demo's (no $DEMO_PIN_MARKER marker); refusing to adopt them — remove them with: flowlens-collector uninstall --pin-path $pin"
    return 1
  fi
  return 0
}

# Claims $1 for the demo: creates it with the marker.
demo_pins_claim() {
  mkdir -p "$1/$DEMO_PIN_MARKER"
}
