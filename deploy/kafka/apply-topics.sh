#!/usr/bin/env bash
# Create the pipeline's Kafka topics from topics.conf with the standard Kafka tools, idempotently:
# a missing topic is created with its partitions, replication and configs; an existing one gets
# its configs set again (kafka-configs.sh --alter) and its partition count raised if lower
# (never lowered: Kafka cannot).
#
#   KAFKA_BOOTSTRAP=broker:9092 deploy/kafka/apply-topics.sh            Kafka >= 2.2 (--bootstrap-server)
#   KAFKA_ZOOKEEPER=zk:2181     deploy/kafka/apply-topics.sh            older brokers (--zookeeper)
#   deploy/kafka/apply-topics.sh --dry-run                              print the commands only
#
# Environment: KAFKA_BIN (directory of kafka-topics.sh / kafka-configs.sh; default: on PATH),
# TOPICS_FILE (default: topics.conf next to this script), TOPIC_PREFIX (prepended to every name),
# REPLICATION (overrides every topic's replication, e.g. 1 on a one-broker test cluster; then
# min.insync.replicas is capped to it), KAFKA_COMMAND_CONFIG (client properties file for a
# secured cluster, passed as --command-config).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TOPICS_FILE="${TOPICS_FILE:-$HERE/topics.conf}"
DRY_RUN=0
[ "${1:-}" = "--dry-run" ] && DRY_RUN=1

bin() { if [ -n "${KAFKA_BIN:-}" ]; then echo "$KAFKA_BIN/$1"; else echo "$1"; fi; }
log() { echo "apply-topics.sh: $*" >&2; }

if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then
    target=(--bootstrap-server "$KAFKA_BOOTSTRAP")
    if [ -n "${KAFKA_COMMAND_CONFIG:-}" ]; then target+=(--command-config "$KAFKA_COMMAND_CONFIG"); fi
elif [ -n "${KAFKA_ZOOKEEPER:-}" ]; then
    target=(--zookeeper "$KAFKA_ZOOKEEPER")
elif [ "$DRY_RUN" = 1 ]; then
    target=(--bootstrap-server BOOTSTRAP)
else
    log "set KAFKA_BOOTSTRAP (or KAFKA_ZOOKEEPER for old brokers)"; exit 2
fi

# Commands never read the loop's stdin (topics.conf).
run() {
    if [ "$DRY_RUN" = 1 ]; then echo "$*"; else "$@" </dev/null; fi
}

# Old (ZooKeeper) tools ask for confirmation of a max.message.bytes above the broker default:
# these values are deliberate (see topics.conf), so answer yes.
run_confirmed() {
    if [ "$DRY_RUN" = 1 ]; then echo "$*"; else "$@" < <(yes y); fi
}

existing=""
if [ "$DRY_RUN" = 0 ]; then
    existing="$("$(bin kafka-topics.sh)" "${target[@]}" --list </dev/null)"
fi

partitions_of() {  # current partition count of topic $1 (from --describe)
    "$(bin kafka-topics.sh)" "${target[@]}" --describe --topic "$1" </dev/null \
        | grep -o 'PartitionCount: *[0-9]*' | grep -o '[0-9]*$' | head -n1
}

while read -r name partitions replication rest; do
    case "$name" in ''|'#'*) continue ;; esac
    case "$partitions$replication" in *[!0-9]*) log "bad line for $name: partitions and replication must be numbers"; exit 1 ;; esac
    topic="${TOPIC_PREFIX:-}$name"
    replication="${REPLICATION:-$replication}"
    configs=()
    for kv in $rest; do
        case "$kv" in *=*) ;; *) log "bad config '$kv' for $name (want KEY=VALUE)"; exit 1 ;; esac
        if [ "${kv%%=*}" = min.insync.replicas ] && [ "${kv#*=}" -gt "$replication" ]; then
            kv="min.insync.replicas=$replication"
        fi
        configs+=("$kv")
    done
    if [ "$DRY_RUN" = 1 ] || ! grep -qxF "$topic" <<<"$existing"; then
        create=("$(bin kafka-topics.sh)" "${target[@]}" --create --topic "$topic"
                --partitions "$partitions" --replication-factor "$replication")
        for kv in "${configs[@]}"; do create+=(--config "$kv"); done
        run "${create[@]}"
        [ "$DRY_RUN" = 1 ] || log "created $topic ($partitions partitions, replication $replication)"
        continue
    fi
    joined="$(IFS=,; echo "${configs[*]}")"
    if [ -n "${KAFKA_BOOTSTRAP:-}" ]; then
        run "$(bin kafka-configs.sh)" "${target[@]}" --alter --entity-type topics --entity-name "$topic" --add-config "$joined"
    else
        run_confirmed "$(bin kafka-configs.sh)" --zookeeper "$KAFKA_ZOOKEEPER" --alter --entity-type topics --entity-name "$topic" --add-config "$joined"
    fi
    current="$(partitions_of "$topic")"
    if [ -n "$current" ] && [ "$current" -lt "$partitions" ]; then
        run "$(bin kafka-topics.sh)" "${target[@]}" --alter --topic "$topic" --partitions "$partitions"
        log "$topic: partitions $current -> $partitions (keys move to other partitions)"
    fi
    log "updated $topic"
done <"$TOPICS_FILE"
