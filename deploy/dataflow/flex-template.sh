#!/usr/bin/env bash
# Build the images, build the Flex Template spec, and launch the streaming job on Dataflow.
#
#   deploy/dataflow/flex-template.sh build     docker build + push both images, write the template spec to GCS
#   deploy/dataflow/flex-template.sh run       launch a streaming job from the spec
#   deploy/dataflow/flex-template.sh direct    submit without a template (python -m pipelines.ingest --runner=DataflowRunner)
#
# Required environment: PROJECT, REGION, BUCKET (gs://... for staging, temp and the spec),
# REPO (an Artifact Registry Docker repository, e.g. europe-docker.pkg.dev/$PROJECT/news),
# KAFKA (bootstrap servers reachable from the workers' network).
# Optional: VERSION (0.1.0), TOPIC_IN (raw-articles), TOPIC_OUT (enriched-articles),
# TOPIC_DEAD (dead-letter-articles), JOB (news-ingest), MAX_WORKERS (5), NETWORK/SUBNETWORK.
# Not run here: this machine has no docker engine and no Google Cloud access (deploy/README.md).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
: "${PROJECT:?set PROJECT}" "${REGION:?set REGION}" "${BUCKET:?set BUCKET (gs://...)}" "${REPO:?set REPO}"
VERSION="${VERSION:-0.1.0}"
WORKER_IMAGE="$REPO/news-ingest-worker:$VERSION"
TEMPLATE_IMAGE="$REPO/news-ingest-template:$VERSION"
SPEC="$BUCKET/templates/news-ingest-$VERSION.json"
TOPIC_IN="${TOPIC_IN:-raw-articles}"
TOPIC_OUT="${TOPIC_OUT:-enriched-articles}"
TOPIC_DEAD="${TOPIC_DEAD:-dead-letter-articles}"
JOB="${JOB:-news-ingest}"
MAX_WORKERS="${MAX_WORKERS:-5}"

build() {
    cd "$ROOT"
    docker build -f deploy/Dockerfile -t "$WORKER_IMAGE" .
    docker build -f deploy/dataflow/Dockerfile --build-arg WORKER_IMAGE="$WORKER_IMAGE" -t "$TEMPLATE_IMAGE" .
    docker push "$WORKER_IMAGE"
    docker push "$TEMPLATE_IMAGE"
    gcloud dataflow flex-template build "$SPEC" \
        --project="$PROJECT" \
        --image="$TEMPLATE_IMAGE" \
        --sdk-language=PYTHON \
        --metadata-file=deploy/dataflow/metadata.json
}

run() {
    : "${KAFKA:?set KAFKA (bootstrap servers)}"
    gcloud dataflow flex-template run "$JOB-$(date -u +%Y%m%d-%H%M%S)" \
        --project="$PROJECT" \
        --region="$REGION" \
        --template-file-gcs-location="$SPEC" \
        --staging-location="$BUCKET/staging" \
        --temp-location="$BUCKET/temp" \
        --max-workers="$MAX_WORKERS" \
        --enable-streaming-engine \
        --additional-experiments=use_runner_v2 \
        ${NETWORK:+--network="$NETWORK"} ${SUBNETWORK:+--subnetwork="$SUBNETWORK"} \
        --parameters="^~^sdk_container_image=$TEMPLATE_IMAGE~sdk_location=container~kafka_bootstrap_servers=$KAFKA~input_topic=$TOPIC_IN~output_topic=$TOPIC_OUT~dead_letter_topic=$TOPIC_DEAD"
    # ("^~^" makes "~" gcloud's list delimiter: the bootstrap list itself contains commas.)
}

direct() {
    : "${KAFKA:?set KAFKA (bootstrap servers)}"
    cd "$ROOT"
    python -m pipelines.ingest \
        --runner=DataflowRunner --project="$PROJECT" --region="$REGION" \
        --temp_location="$BUCKET/temp" --staging_location="$BUCKET/staging" \
        --job_name="$JOB" --streaming --enable_streaming_engine \
        --experiments=use_runner_v2 --max_num_workers="$MAX_WORKERS" \
        --sdk_container_image="$WORKER_IMAGE" --sdk_location=container \
        --kafka_bootstrap_servers="$KAFKA" --input_topic="$TOPIC_IN" \
        --output_topic="$TOPIC_OUT" --dead_letter_topic="$TOPIC_DEAD"
}

case "${1:-}" in
    build) build ;;
    run) run ;;
    direct) direct ;;
    *) echo "usage: $0 build|run|direct" >&2; exit 2 ;;
esac
