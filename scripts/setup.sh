#!/usr/bin/env bash
# Brings a fresh checkout to a runnable state and is quick when nothing is missing:
#   1. npm packages (Bun itself comes from npm as a dev dependency),
#   2. the native addon (native/sluice.node, built with @napi-rs/cli and cargo; the napi crates
#      come from crates.io, pinned by native/Cargo.lock),
#   3. the start-up bundle (dist/cli.js) and executable (dist/sluice), which bin/sluice runs
#      while they are newer than src/,
#   4. with --clients, the Debian packages the client tests drive (kcat, librdkafka, the Python
#      clients, etcd-server for the cluster tests), installed only when running as root and only
#      when one is missing,
#   5. with --clients, Apache Kafka's jars (test/compat/java/pom.xml: clients, Streams, tools and
#      the broker the bench runs) from Maven Central into Maven's local repository, the Java suite
#      compiled against them, and Kafka's message definitions unpacked from the kafka-clients jar
#      (--kafka: the jars only, for `npm run bench`),
#   6. with --clients, the Go suite (test/compat/go: franz-go and Sarama from the Go module proxy)
#      and franz-go's own pkg/kgo test binary,
#   7. with --clients, a Python virtual environment with the current clients from PyPI
#      (test/compat/python/requirements.txt: confluent-kafka, aiokafka).
# Usage: scripts/setup.sh [--quiet] [--clients] [--kafka]
set -euo pipefail
cd "$(dirname "$0")/.."

quiet=0
clients=0
kafka=0
for arg in "$@"; do
  case "$arg" in
    --quiet) quiet=1 ;;
    --clients) clients=1 kafka=1 ;;
    --kafka) kafka=1 ;;
    -h | --help)
      sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "setup: unknown option '$arg' (try --help)" >&2
      exit 2
      ;;
  esac
done
say() { [ "$quiet" = 1 ] || echo "setup: $*"; }
# Each build step says what it does when it starts and how long it took when the next one starts
# (or the script ends), so a first `npm start` from a clone shows where its time goes.
step_name=
step_started=0
step_done() {
  [ -n "$step_name" ] || return 0
  echo "setup: ${step_name%% (*}: done in $(((($(date +%s%N) - step_started) / 1000000))) ms" >&2
  step_name=
}
step() {
  step_done
  step_name=$*
  step_started=$(date +%s%N)
  echo "setup: $*" >&2
}
trap 'status=$?; [ "$status" != 0 ] || step_done' EXIT

# 1. npm packages: install when node_modules is absent or older than the lockfile.
if [ ! -x node_modules/.bin/bun ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  step "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error >&2
else
  say "npm packages up to date"
fi

# 2. The addon: rebuild when missing or older than any source file of the crate.
if [ ! -f native/sluice.node ] || [ -n "$(find native/src native/Cargo.toml native/Cargo.lock native/build.rs native/build.sh -newer native/sluice.node 2>/dev/null | head -n 1)" ]; then
  if ! command -v cargo >/dev/null 2>&1; then
    echo "setup: cargo not found; install Rust (rustup.rs) to build the native addon" >&2
    exit 1
  fi
  step "building the native addon (cargo build --release)"
  bash native/build.sh >&2
else
  say "native addon up to date"
fi

# 3. The start-up bundle: src/ as one CommonJS file with JavaScriptCore bytecode beside it
#    (dist/cli.js.jsc), so `sluice start` neither resolves nor transpiles ~200 modules, and the
#    single executable dist/sluice (Bun, ESM bytecode and the addon in one file), which starts
#    quicker still (bench/RESULTS.md, "Start-up, step by step"). bin/sluice falls back to
#    src/cli.ts whenever a file in src/ is newer, so an edited tree never runs stale code.
if [ ! -f dist/cli.js ] || [ ! -x dist/sluice ] ||
  [ -n "$(find src package-lock.json native/sluice.node -newer dist/cli.js 2>/dev/null | head -n 1)" ]; then
  step "bundling src/ for a fast start (dist/cli.js and the executable dist/sluice)"
  bash scripts/bundle.sh --executable dist
else
  say "start-up bundle up to date"
fi

# 4. Debian packages for the client tests.
if [ "$clients" = 1 ]; then
  missing=()
  command -v kcat >/dev/null 2>&1 || missing+=(kcat)
  /usr/bin/python3 -c 'import confluent_kafka' 2>/dev/null || missing+=(python3-confluent-kafka)
  /usr/bin/python3 -c 'import kafka' 2>/dev/null || missing+=(python3-kafka)
  # kafka-python's codecs beyond gzip (it reads compacted topics written in every codec).
  /usr/bin/python3 -c 'import snappy' 2>/dev/null || missing+=(python3-snappy)
  /usr/bin/python3 -c 'import lz4.frame' 2>/dev/null || missing+=(python3-lz4)
  /usr/bin/python3 -c 'import zstandard' 2>/dev/null || missing+=(python3-zstandard)
  pkg-config --exists rdkafka 2>/dev/null || missing+=(librdkafka-dev pkg-config)
  command -v iperf3 >/dev/null 2>&1 || missing+=(iperf3)
  command -v ss >/dev/null 2>&1 || missing+=(iproute2)
  command -v etcd >/dev/null 2>&1 || missing+=(etcd-server)
  # test/storage/checkpoint.test.ts watches a checkpoint's writes with it.
  command -v strace >/dev/null 2>&1 || missing+=(strace)
  if ((${#missing[@]})); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      step "installing Debian packages: ${missing[*]}"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    else
      echo "setup: missing ${missing[*]}; client tests that need them will be skipped (run as root to install)" >&2
    fi
  else
    say "client packages present"
  fi
fi

# 5. Apache Kafka's jars and the Java suite. The classpath file lists jars in ~/.m2: it is redone
#    when the pom changed or its first jar is gone.
java_dir=test/compat/java
if [ "$kafka" = 1 ]; then
  if ! command -v mvn >/dev/null 2>&1 || ! command -v javac >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      step "installing a JDK and Maven (Debian packages)"
      export DEBIAN_FRONTEND=noninteractive
      apt-get update -qq >&2
      apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends openjdk-17-jdk-headless maven >/dev/null
    else
      echo "setup: no JDK or Maven; the Java client tests will be skipped" >&2
    fi
  fi
  if command -v mvn >/dev/null 2>&1; then
    classpath="$java_dir/target/classpath.txt"
    if [ ! -s "$classpath" ] || [ "$java_dir/pom.xml" -nt "$classpath" ] || [ ! -f "$(cut -d: -f1 "$classpath")" ]; then
      step "resolving Apache Kafka's jars from Maven Central ($java_dir/pom.xml)"
      mkdir -p "$java_dir/target"
      if ! mvn -B -q -f "$java_dir/pom.xml" dependency:build-classpath -Dmdep.outputFile="$PWD/$classpath" >"$java_dir/target/mvn.log" 2>&1; then
        cat "$java_dir/target/mvn.log" >&2
        exit 1
      fi
      touch "$classpath" # Maven leaves an unchanged file as it was, older than the pom
    else
      say "Kafka jars resolved"
    fi
    classes="$java_dir/target/classes"
    if [ "$clients" = 0 ]; then
      :
    elif [ ! -f "$classes/SluiceCompat.class" ] || [ -n "$(find "$java_dir/src" "$classpath" -newer "$classes/SluiceCompat.class" 2>/dev/null | head -n 1)" ]; then
      step "compiling the Java client suite ($java_dir/src)"
      mkdir -p "$classes"
      javac -nowarn -d "$classes" -cp "$(cat "$classpath")" "$java_dir"/src/*.java >&2
    else
      say "Java client suite compiled"
    fi
    # Kafka's own message definitions (common/message/*.json inside the kafka-clients jar the pom
    # pins), for test/protocol/kafka-definitions.test.ts; unpacked once per Kafka version.
    kafka_version=$(sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "$java_dir/pom.xml")
    messages="node_modules/.cache/kafka-messages/$kafka_version"
    if [ ! -d "$messages/common/message" ]; then
      clients_jar=$(tr ':' '\n' <"$classpath" | grep "/kafka-clients-$kafka_version.jar\$" | head -n 1)
      if [ -f "$clients_jar" ]; then
        step "unpacking Kafka $kafka_version's message definitions ($messages)"
        rm -rf "$messages.tmp" && mkdir -p "$messages.tmp"
        (cd "$messages.tmp" && jar xf "$clients_jar" common/message) && mv "$messages.tmp" "$messages"
      else
        echo "setup: kafka-clients-$kafka_version.jar not found; the schema check against Kafka will be skipped" >&2
      fi
    else
      say "Kafka $kafka_version's message definitions unpacked"
    fi
  fi
fi

# 6. The Go suite: modules from the Go module proxy into Go's module cache, built once; the build
#    cache makes a rebuild after an edit take seconds.
go_dir=test/compat/go
if [ "$clients" = 1 ]; then
  if ! command -v go >/dev/null 2>&1; then
    echo "setup: no Go toolchain; the Go client tests will be skipped (install Go 1.24 or newer)" >&2
  elif [ ! -x "$go_dir/target/compat" ] || [ -n "$(find "$go_dir" -maxdepth 1 \( -name '*.go' -o -name 'go.*' \) -newer "$go_dir/target/compat" | head -n 1)" ]; then
    step "building the Go client suite (franz-go, Sarama: $go_dir)"
    (cd "$go_dir" && go build -o target/compat .) >&2
  else
    say "Go client suite built"
  fi
  # franz-go's own tests (test/compat/franz-go.test.ts): their test binary, from the same module.
  if command -v go >/dev/null 2>&1; then
    if [ ! -x "$go_dir/target/kgo.test" ] || [ -n "$(find "$go_dir" -maxdepth 1 -name 'go.*' -newer "$go_dir/target/kgo.test" | head -n 1)" ]; then
      step "compiling franz-go's own tests (pkg/kgo: $go_dir/target/kgo.test)"
      (cd "$go_dir" && go test -c -o target/kgo.test github.com/twmb/franz-go/pkg/kgo) >&2
    else
      say "franz-go's own tests compiled"
    fi
  fi
fi

# 7. The current Python clients from PyPI, in a virtual environment of their own; redone when the
#    requirements change. The marker file is written last, so a failed install is tried again.
py_dir=test/compat/python
if [ "$clients" = 1 ]; then
  if [ ! -f "$py_dir/.venv/installed" ] || [ "$py_dir/requirements.txt" -nt "$py_dir/.venv/installed" ]; then
    step "installing the Python clients from PyPI into $py_dir/.venv"
    python3 -m venv "$py_dir/.venv" >&2
    "$py_dir/.venv/bin/pip" install -q --disable-pip-version-check -r "$py_dir/requirements.txt" >&2
    touch "$py_dir/.venv/installed"
  else
    say "Python clients from PyPI installed"
  fi
fi
