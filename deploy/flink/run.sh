#!/usr/bin/env bash
# Submit the streaming ingest job to Flink through Beam's portable Flink runner.
#
#   deploy/flink/run.sh k8s      to the cluster of flink-deployment.yaml + job-server.yaml
#                                (run where the job server's Service is reachable, e.g. after
#                                 kubectl port-forward svc/beam-flink-job-server 8099 8098)
#   deploy/flink/run.sh local    to a Flink 1.20 you run yourself (bin/start-cluster.sh, REST on
#                                localhost:8081); the SDK workers run in this process (LOOPBACK)
#   deploy/flink/run.sh print    print both commands without running anything
#
# Environment: KAFKA (bootstrap servers, as the workers see them), TOPIC_IN (raw-articles),
# TOPIC_OUT (enriched-articles), TOPIC_DEAD (dead-letter-articles), GROUP (news-ingest),
# JOB_ENDPOINT (localhost:8099), FLINK_MASTER (news-ingest-flink-rest:8081 for k8s,
# localhost:8081 for local), PARALLELISM (4), KAFKA_API_VERSION (auto).
# The local variant also needs the job server: Beam starts it from
# beam-runners-flink-1.20-job-server-2.77.0.jar (FLINK_JOB_SERVER_JAR, or downloaded by Beam from
# Maven Central on first use) and Java 11+; or run the job server image with docker and set
# JOB_ENDPOINT instead.
# Not run here: no Flink cluster, docker engine or Maven access on this machine (deploy/README.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON="${PYTHON:-python}"
KAFKA="${KAFKA:-127.0.0.1:19092}"
TOPIC_IN="${TOPIC_IN:-raw-articles}"
TOPIC_OUT="${TOPIC_OUT:-enriched-articles}"
TOPIC_DEAD="${TOPIC_DEAD:-dead-letter-articles}"
GROUP="${GROUP:-news-ingest}"
PARALLELISM="${PARALLELISM:-4}"
KAFKA_API_VERSION="${KAFKA_API_VERSION:-auto}"

pipeline_args=(
    --streaming
    --kafka_bootstrap_servers="$KAFKA" --kafka_api_version="$KAFKA_API_VERSION"
    --input_topic="$TOPIC_IN" --output_topic="$TOPIC_OUT" --dead_letter_topic="$TOPIC_DEAD"
    --group_id="$GROUP"
)

k8s_command() {
    echo "$PYTHON" -m pipelines.ingest \
        --runner=FlinkRunner --flink_version=1.20 \
        --flink_master="${FLINK_MASTER:-news-ingest-flink-rest:8081}" \
        --job_endpoint="${JOB_ENDPOINT:-localhost:8099}" \
        --environment_type=EXTERNAL --environment_config=localhost:50000 \
        --parallelism="$PARALLELISM" --checkpointing_interval=60000 \
        "${pipeline_args[@]}"
}

local_command() {
    echo "$PYTHON" -m pipelines.ingest \
        --runner=FlinkRunner --flink_version=1.20 \
        --flink_master="${FLINK_MASTER:-localhost:8081}" \
        ${FLINK_JOB_SERVER_JAR:+--flink_job_server_jar="$FLINK_JOB_SERVER_JAR"} \
        ${JOB_ENDPOINT:+--job_endpoint="$JOB_ENDPOINT"} \
        --environment_type=LOOPBACK \
        --parallelism="$PARALLELISM" --checkpointing_interval=60000 \
        "${pipeline_args[@]}"
}

case "${1:-}" in
    k8s) cd "$ROOT" && $(k8s_command) ;;
    local) cd "$ROOT" && $(local_command) ;;
    print) k8s_command; local_command ;;
    *) echo "usage: $0 k8s|local|print" >&2; exit 2 ;;
esac
