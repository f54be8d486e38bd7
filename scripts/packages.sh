# The Debian packages dlc needs beyond the Swift toolchain, installed with apt-get when missing.
# (Sourced by setup-and-run.sh and test.sh.)
# pkg-config locates the system C libraries that later back ends link (Graphviz); libdnnl-dev is
# oneDNN, the CPU back end's kernel library (DLCCPU links it through the CDNNL module).
# libgraphviz-dev is Graphviz (libgvc, libcgraph), which `dlc render` draws with (the CGraphviz module).
DLC_DEBIAN_PACKAGES=(pkg-config zlib1g-dev libdnnl-dev libgraphviz-dev)

install_missing_packages() {
  command -v swift > /dev/null || { echo "error: the Swift toolchain (swift 6.x) is not on PATH" >&2; exit 2; }
  local missing=()
  for p in "${DLC_DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2> /dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  fi
}
