"""Deploy the thumbnail fan-out's state machine and start one execution per upload with boto3.

    python deploy.py seed --db /mnt/efs/world.sqlite     # the scenario's uploads (--scenario)
    python deploy.py deploy --db /mnt/efs/world.sqlite   # Lambdas + state machine
    python deploy.py start-uploads                       # StartExecution per upload: thumbnails-upload-0001...
    python deploy.py start                               # or only the first, thumbnails-upload-0001
    python deploy.py status

Add --endpoint-url URL before the command for a local endpoint. `seed --scenario flaky-size`
makes w512 of upload-0001 answer 503 twice (the Resize Retry takes it on the third attempt);
`--scenario batch-1000` seeds 1,000 uploads, one Standard execution each, as the children of a
Distributed Map (or an S3 event per object) would run: one inline Map over 1,000 uploads would
write ~46,000 history events, past the 25,000-event quota of one execution.
"""

from __future__ import annotations

from typing import Any

import sfn

from engines.store import open_store
from workloads.thumbnails.images import FLAKY_SIZE, SCENARIOS, SIZES, ImageStore, Upload, upload_of, uploads_for

#: How many StartExecution calls a start-uploads run makes before it pauses (StartExecution's
#: token bucket on AWS refills at about 300 a second in us-east-1).
START_BURST = 100


def execution_name(upload_id: str) -> str:
    return f"thumbnails-{upload_id}"


def execution_input(upload: Upload) -> dict[str, Any]:
    """What one upload's execution starts with: the upload and the sizes the Map fans out over."""
    return {"upload": upload, "sizes": list(SIZES)}


def seed(db: str, scenario: str) -> list[Upload]:
    """The scenario's uploads into the image store (and, for flaky-size, its fault)."""
    store = open_store(db)
    try:
        images = ImageStore(store)
        uploads = uploads_for(scenario)
        images.add_uploads(uploads)
        if scenario == "flaky-size":
            images.inject_flaky(uploads[0]["upload_id"], FLAKY_SIZE)
        return uploads
    finally:
        store.close()


def start_uploads(c: dict[str, Any], state_machine_arn: str, uploads: list[Upload]) -> list[str]:
    """StartExecution for every upload, named after it (a second start of the same name with the
    same input is idempotent on Standard workflows); returns the execution ARNs in upload order."""
    import time

    arns = []
    for n, upload in enumerate(uploads, 1):
        arns.append(sfn.start(c, state_machine_arn, execution_name(upload["upload_id"]), execution_input(upload)))
        if n % START_BURST == 0:
            time.sleep(0.5)
    return arns


def main() -> None:
    parser, sub = sfn.cli(__doc__.splitlines()[0])
    s = sub.add_parser("seed", help="write the scenario's uploads (and its fault) into the database")
    s.add_argument("--db", required=True)
    s.add_argument("--scenario", choices=SCENARIOS, default="one-upload")
    u = sub.add_parser("start-uploads", help="StartExecution for every upload of a scenario")
    u.add_argument("--scenario", choices=SCENARIOS, default="one-upload")
    args = parser.parse_args()
    if args.command == "seed":
        print(f"{len(seed(args.db, args.scenario))} upload(s) seeded")
        return
    c = sfn.clients(endpoint_url=args.endpoint_url, region=args.region)
    if args.command == "start-uploads":
        arn = f"arn:aws:states:{c['stepfunctions'].meta.region_name}:{c['sts'].get_caller_identity()['Account']}" \
              f":stateMachine:{sfn.resources()['state_machine']}"
        print("\n".join(start_uploads(c, arn, uploads_for(args.scenario))))
        return
    first = upload_of(1)
    sfn.common(args, c, execution_name(first["upload_id"]), execution_input(first))


if __name__ == "__main__":
    main()
