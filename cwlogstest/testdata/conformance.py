"""Conformance checks of a CloudWatch Logs endpoint, through boto3.

A second, independent client for cwlogstest: run as
    python3 conformance.py ENDPOINT_URL [core|live-tail|entity]
it prints one line per failed check and exits 1 if any failed. When the
installed botocore lacks what a group of checks needs (StartLiveTail, the
entity of PutLogEvents: Debian 12's botocore 1.29 has neither), it says
so on a line starting SKIP and exits 77.
"""

import sys
import time

import boto3
import botocore
import botocore.config
from botocore.exceptions import ClientError

SKIPPED = 77

HOUR = 3600 * 1000
DAY = 24 * HOUR

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def code(err):
    return err.response["Error"]["Code"]


def now_ms():
    return int(time.time() * 1000)


class Skip(Exception):
    """The installed botocore lacks what a check needs."""


def client(url, **config):
    return boto3.client(
        "logs",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="conformance",
        aws_secret_access_key="conformance",
        # read_timeout guards a live tail that never sends; it is no measure.
        config=botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"},
                                      proxies={}, read_timeout=60, **config),
    )


def make_stream(c, group, stream):
    try:
        c.create_log_group(logGroupName=group)
    except ClientError as e:
        if code(e) != "ResourceAlreadyExistsException":
            raise
    c.create_log_stream(logGroupName=group, logStreamName=stream)


def legacy_put(c, group, stream, events):
    """The sequence-token protocol of clients written before 2023."""
    calls = 0
    for _ in range(10):
        calls += 1
        found = None
        for s in c.describe_log_streams(logGroupName=group, logStreamNamePrefix=stream)["logStreams"]:
            if s["logStreamName"] == stream:
                found = s
        if found is None or ("uploadSequenceToken" not in found and "lastEventTimestamp" in found):
            calls += 1
            try:
                c.create_log_stream(logGroupName=group, logStreamName=stream)
            except ClientError as e:
                if code(e) != "ResourceAlreadyExistsException":
                    raise
            continue
        kwargs = dict(logGroupName=group, logStreamName=stream, logEvents=events)
        if "uploadSequenceToken" in found:
            kwargs["sequenceToken"] = found["uploadSequenceToken"]
        calls += 1
        try:
            out = c.put_log_events(**kwargs)
        except ClientError as e:
            if code(e) == "InvalidSequenceTokenException":
                continue
            raise
        return calls, out
    return calls, None


def check_legacy_tokens(c):
    make_stream(c, "legacy", "app")
    t = now_ms()
    first = c.put_log_events(logGroupName="legacy", logStreamName="app",
                             logEvents=[{"timestamp": t, "message": "another writer"}])
    d = c.describe_log_streams(logGroupName="legacy")["logStreams"][0]
    check(d.get("uploadSequenceToken") == first.get("nextSequenceToken"),
          "legacy: describe's uploadSequenceToken %r is not put's nextSequenceToken %r"
          % (d.get("uploadSequenceToken"), first.get("nextSequenceToken")))
    for i in range(3):
        calls, out = legacy_put(c, "legacy", "app", [{"timestamp": t + 1 + i, "message": "legacy %d" % i}])
        check(out is not None and calls == 2,
              "legacy: put %d on an existing stream took %d calls (want describe + put)" % (i, calls))
    calls, out = legacy_put(c, "legacy", "new", [{"timestamp": t, "message": "first"}])
    check(out is not None and calls == 4, "legacy: new stream took %d calls" % calls)
    got = c.get_log_events(logGroupName="legacy", logStreamName="app", startFromHead=True)["events"]
    check([e["message"] for e in got] == ["another writer", "legacy 0", "legacy 1", "legacy 2"],
          "legacy: stream holds %r" % [e["message"] for e in got])


def check_rejected(c):
    # A fresh stream for each put: with sequence tokens checked, a second
    # put without a token would be refused.
    t = now_ms()
    cases = [
        ([t - 15 * DAY, t, t + 3 * HOUR], {"tooOldLogEventEndIndex": 1, "tooNewLogEventStartIndex": 2}),
        ([t - 23 * HOUR, t + 3 * HOUR], {"tooNewLogEventStartIndex": 1}),
    ]
    for n, (stamps, want) in enumerate(cases):
        make_stream(c, "rejected", "s%d" % n)
        events = [{"timestamp": ts, "message": "e%d" % i} for i, ts in enumerate(stamps)]
        try:
            out = c.put_log_events(logGroupName="rejected", logStreamName="s%d" % n, logEvents=events)
        except ClientError as e:
            failures.append("rejected: %r answered %s: %s" % (stamps, code(e), e))
            continue
        check(out.get("rejectedLogEventsInfo") == want,
              "rejected: %r gave %r, want %r" % (stamps, out.get("rejectedLogEventsInfo"), want))
    make_stream(c, "rejected", "span")
    try:
        c.put_log_events(logGroupName="rejected", logStreamName="span",
                         logEvents=[{"timestamp": t - 23 * HOUR - 1800 * 1000, "message": "a"},
                                    {"timestamp": t + HOUR, "message": "b"}])
        failures.append("rejected: valid events 24.5 h apart were accepted")
    except ClientError as e:
        check(code(e) == "InvalidParameterException", "rejected: span error is %s" % code(e))


def check_filter_patterns(c):
    make_stream(c, "filter", "s")
    msgs = [
        "[ERROR 400] BAD REQUEST",
        "[ERROR 419] MISSING ARGUMENTS",
        "[ERROR 500] INTERNAL SERVER ERROR",
        "[SUCCESS 200] AUTHORIZED REQUEST",
        '{"eventType": "UpdateTrail", "user": {"id": 1}, "latency": 1200, "flag": true, "none": null}',
        '{"eventType": "CreateTrail", "user": {"id": 2}, "latency": 20}',
        '127.0.0.1 - frank [10/Oct/2000:13:25:15 -0700] "GET /index.html HTTP/1.0" 404 1534',
    ]
    t = now_ms()
    c.put_log_events(logGroupName="filter", logStreamName="s",
                     logEvents=[{"timestamp": t + i, "message": m} for i, m in enumerate(msgs)])
    cases = {
        "ERROR": [0, 1, 2],
        "ERROR -ARGUMENTS": [0, 2],
        "?MISSING ?SUCCESS": [1, 3],
        '"INTERNAL SERVER ERROR"': [2],
        "%AUTHORIZED%": [3],
        "%ERROR 4[0-9]{2}%": [0, 1],
        '{ $.eventType = "UpdateTrail" }': [4],
        "{ $.eventType = *Trail && $.latency > 100 }": [4],
        "{ $.user.id = 2 || $.flag IS TRUE }": [4, 5],
        "{ $.none IS NULL }": [4],
        "{ $.flag NOT EXISTS }": [5],
        "[ip, user, username, timestamp, request = *html*, status_code = 4*, bytes]": [6],
        "[..., status_code, bytes > 1000]": [6],
    }
    for pattern, want in cases.items():
        p = c.get_paginator("filter_log_events")
        got = []
        for page in p.paginate(logGroupName="filter", filterPattern=pattern):
            got += [e["timestamp"] - t for e in page["events"]]
        check(got == want, "filter: %s matched %r, want %r" % (pattern, got, want))
    for bad in ['"unterminated', "%(a|b)%", "{ $.a > abc }"]:
        try:
            c.filter_log_events(logGroupName="filter", filterPattern=bad)
            failures.append("filter: invalid pattern %s was accepted" % bad)
        except ClientError as e:
            check(code(e) == "InvalidParameterException", "filter: %s gave %s" % (bad, code(e)))


def check_pagination(c):
    for g in ["DataLogs", "aws/DataLogs", "datalogs"]:
        c.create_log_group(logGroupName=g)
    names = [g["logGroupName"] for g in c.describe_log_groups(logGroupNamePattern="DataLogs")["logGroups"]]
    check(names == ["DataLogs", "aws/DataLogs"], "pattern DataLogs matched %r (case-sensitive)" % names)

    for i in range(5):
        make_stream(c, "paging", "s%d" % i)
    out = c.describe_log_streams(logGroupName="paging", limit=2)
    seen = [s["logStreamName"] for s in out["logStreams"]]
    c.create_log_stream(logGroupName="paging", logStreamName="a-created-between-pages")
    while "nextToken" in out:
        out = c.describe_log_streams(logGroupName="paging", limit=2, nextToken=out["nextToken"])
        seen += [s["logStreamName"] for s in out["logStreams"]]
    check(seen == ["s0", "s1", "s2", "s3", "s4"], "describe pages with a stream created between them: %r" % seen)

    t = now_ms()
    c.put_log_events(logGroupName="paging", logStreamName="s0",
                     logEvents=[{"timestamp": t + i, "message": str(i)} for i in range(25)])
    # Backward from the end until the token repeats, as the AWS CLI does.
    got, token = [], None
    for _ in range(10):
        kwargs = dict(logGroupName="paging", logStreamName="s0", limit=10)
        if token:
            kwargs["nextToken"] = token
        out = c.get_log_events(**kwargs)
        got = [e["message"] for e in out["events"]] + got
        if out["nextBackwardToken"] == token:
            break
        token = out["nextBackwardToken"]
    check(got == [str(i) for i in range(25)], "get_log_events backward pages gave %r" % got)
    p = c.get_paginator("filter_log_events")
    got = []
    for page in p.paginate(logGroupName="paging", PaginationConfig={"PageSize": 7}):
        got += [e["message"] for e in page["events"]]
    check(got == [str(i) for i in range(25)], "filter_log_events pages gave %r" % got)


class Stop(Exception):
    """Raised from before-send: the request was seen and not sent."""


def check_live_tail(url):
    """StartLiveTail through boto3: the host prefix, the model's
    constraints, and a session that streams a new event."""
    if "StartLiveTail" not in client(url).meta.service_model.operation_names:
        raise Skip("botocore %s has no StartLiveTail" % botocore.__version__)
    # Without inject_host_prefix=False, boto3 sends to stream-HOST, a name
    # that does not resolve: seen before sending.
    plain = client(url)
    sent = []

    def stop(request, **kwargs):
        sent.append(request.url)
        raise Stop()
    plain.meta.events.register("before-send.logs.StartLiveTail", stop)
    try:
        plain.start_live_tail(logGroupIdentifiers=["arn:aws:logs:us-east-1:123456789012:log-group:g"])
    except Stop:
        pass
    check(len(sent) == 1 and "//stream-" in sent[0],
          "live tail: without inject_host_prefix=False boto3 sent to %r, want the stream- prefix" % sent)

    c = client(url, inject_host_prefix=False)
    make_stream(c, "live", "s")
    arn = [g["logGroupArn"] for g in c.describe_log_groups(logGroupNamePrefix="live")["logGroups"]
           if g["logGroupName"] == "live"][0]
    arn = arn[:-2] if arn.endswith(":*") else arn
    prefix = "arn:aws:logs:us-east-1:123456789012:log-group:"
    invalid = {
        "an ARN ending in :*": dict(logGroupIdentifiers=[arn + ":*"]),
        "an identifier of 2,049 characters": dict(logGroupIdentifiers=[prefix + "a" * (2049 - len(prefix))]),
        "101 logStreamNames": dict(logGroupIdentifiers=[arn], logStreamNames=["s%d" % i for i in range(101)]),
        "101 logStreamNamePrefixes": dict(logGroupIdentifiers=[arn], logStreamNamePrefixes=["s%d" % i for i in range(101)]),
        "a pattern of 1,025 characters": dict(logGroupIdentifiers=[arn], logEventFilterPattern="a" * 1025),
    }
    for what, kwargs in invalid.items():
        try:
            c.start_live_tail(**kwargs)["responseStream"].close()
            failures.append("live tail: %s was accepted" % what)
        except ClientError as e:
            check(code(e) == "InvalidParameterException", "live tail: %s gave %s" % (what, code(e)))

    stream = c.start_live_tail(logGroupIdentifiers=[arn], logEventFilterPattern="ERROR")["responseStream"]
    events = iter(stream)
    first = next(events)
    check("sessionStart" in first, "live tail: first event %r, want sessionStart" % list(first))
    t = now_ms()
    c.put_log_events(logGroupName="live", logStreamName="s",
                     logEvents=[{"timestamp": t, "message": "INFO not matched"},
                                {"timestamp": t, "message": "ERROR matched"}])
    got = None
    for ev in events:
        update = ev.get("sessionUpdate")
        if update is None:
            failures.append("live tail: event %r, want sessionUpdate" % list(ev))
            break
        if update["sessionResults"]:  # empty ones are heartbeats
            got = [(r["message"], r["logStreamName"]) for r in update["sessionResults"]]
            break
    stream.close()
    check(got == [("ERROR matched", "s")], "live tail: results %r, want the ERROR event" % got)


def check_entity(url):
    """An entity on PutLogEvents: accepted, or answered with
    rejectedEntityInfo while the events are stored."""
    c = client(url)
    members = c.meta.service_model.operation_model("PutLogEvents").input_shape.members
    if "entity" not in members:
        raise Skip("botocore %s has no entity on PutLogEvents" % botocore.__version__)
    make_stream(c, "entity", "s")
    t = now_ms()
    good = {"keyAttributes": {"Type": "Service", "Name": "checkout", "Environment": "prod"},
            "attributes": {"PlatformType": "Generic"}}
    out = c.put_log_events(logGroupName="entity", logStreamName="s",
                           logEvents=[{"timestamp": t, "message": "good"}], entity=good)
    check("rejectedEntityInfo" not in out, "entity: a valid entity got %r" % out.get("rejectedEntityInfo"))
    cases = {
        "MissingRequiredFields": {"keyAttributes": {"Type": "Service", "Name": "checkout"}},
        "InvalidTypeValue": {"keyAttributes": {"Type": "Planet", "Name": "x"}},
        "InvalidKeyAttributes": {"keyAttributes": {"Type": "Service"}},
    }
    for i, (want, entity) in enumerate(cases.items()):
        out = c.put_log_events(logGroupName="entity", logStreamName="s",
                               logEvents=[{"timestamp": t + 1 + i, "message": want}], entity=entity)
        got = out.get("rejectedEntityInfo", {}).get("errorType")
        check(got == want, "entity: %r gave errorType %r, want %s" % (entity, got, want))
    got = [e["message"] for e in c.get_log_events(logGroupName="entity", logStreamName="s", startFromHead=True)["events"]]
    check(got == ["good"] + list(cases), "entity: stream holds %r; a rejected entity keeps its events" % got)


def main():
    url = sys.argv[1]
    group = sys.argv[2] if len(sys.argv) > 2 else "core"
    c = client(url)
    checks = {
        "core": [(f, c) for f in [check_legacy_tokens, check_rejected, check_filter_patterns, check_pagination]],
        "live-tail": [(check_live_tail, url)],
        "entity": [(check_entity, url)],
    }[group]
    for f, arg in checks:
        try:
            f(arg)
        except Skip as e:
            print("SKIP", group + ":", e)
            sys.exit(SKIPPED)
        except Exception as e:  # report and go on with the other checks
            failures.append("%s: %s: %s" % (f.__name__, type(e).__name__, e))
    for f in failures:
        print("FAIL", f)
    print("boto3 %s, %s: %d failures" % (boto3.__version__, group, len(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
