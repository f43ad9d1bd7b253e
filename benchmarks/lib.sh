# Sourced by the benchmark scripts after they set $here (the project root): the processes to stop
# and the folders to remove on exit, a frozen copy of the build, free ports.

pids=()          # processes started in the background, stopped on exit
cleanup_paths=() # folders removed on exit
kill_signal=TERM # faults.sh kills with KILL

cleanup() {
    local p d
    for p in "${pids[@]:-}"; do
        [ -n "$p" ] && kill -s "$kill_signal" "$p" 2>/dev/null || true
    done
    for d in "${cleanup_paths[@]:-}"; do
        [ -n "$d" ] && rm -rf "$d"
    done
}
trap cleanup EXIT

# freeze_build [spark]: runs use a copy of the built fedge (and of its Spark home), so rebuilding the
# project while a benchmark runs cannot change what it measures. Sets $frozen.
freeze_build() {
    frozen="$(mktemp -d)"
    cleanup_paths+=("$frozen")
    cp "$here/simulation/target/fedge.jar" "$frozen/" && cp -r "$here/simulation/target/lib" "$frozen/lib"
    export FEDGE_JAR="$frozen/fedge.jar" FEDGE_LIB="$frozen/lib"
    if [ "${1:-}" = spark ]; then
        cp -r "$here/spark/target/spark-home" "$frozen/spark-home"
        export FEDGE_SPARK_HOME="$frozen/spark-home"
    fi
}

# A TCP port free on loopback now.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
