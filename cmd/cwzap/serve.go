package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/cwzap/cwzap/cwlogstest"
)

// faultFlags are serve's flags for cwlogstest.Faults.
type faultFlags struct {
	f           cwlogstest.Faults
	outageAfter time.Duration
	outageFor   time.Duration
}

func (ff *faultFlags) register(fs *flag.FlagSet) {
	fs.DurationVar(&ff.f.Latency, "latency", 0, "delay added to every PutLogEvents answer")
	fs.Float64Var(&ff.f.Throttle, "throttle", 0, "fraction of puts answered ThrottlingException (0 to 1)")
	fs.Float64Var(&ff.f.Unavailable, "unavailable", 0, "fraction of puts answered 503 ServiceUnavailableException")
	fs.Float64Var(&ff.f.InternalFailure, "internal-failure", 0, "fraction of puts answered 500 InternalFailure")
	fs.Float64Var(&ff.f.Drop, "drop", 0, "fraction of puts whose connection is closed without an answer")
	fs.Float64Var(&ff.f.DropAfter, "drop-after", 0, "fraction of puts stored, then their answer lost (the client may send them twice)")
	fs.Float64Var(&ff.f.Slow, "slow", 0, "fraction of puts answered after -slow-delay")
	fs.DurationVar(&ff.f.SlowDelay, "slow-delay", 5*time.Second, "delay of a -slow answer")
	fs.IntVar(&ff.f.PutsPerSecond, "puts-per-second", 0, "throttle puts above this rate (0: no limit)")
	fs.Int64Var(&ff.f.Seed, "seed", 0, "seed of the fault draws, for a repeatable run")
	fs.DurationVar(&ff.outageFor, "outage-for", 0, "an outage this long, answering every call 503 (0: none)")
	fs.DurationVar(&ff.outageAfter, "outage-after", 0, "when the -outage-for outage starts, after serve starts")
}

func (ff *faultFlags) check() error {
	for _, v := range []struct {
		name string
		f    float64
	}{{"throttle", ff.f.Throttle}, {"unavailable", ff.f.Unavailable}, {"internal-failure", ff.f.InternalFailure},
		{"drop", ff.f.Drop}, {"drop-after", ff.f.DropAfter}, {"slow", ff.f.Slow}} {
		if v.f < 0 || v.f > 1 {
			return fmt.Errorf("-%s must be a fraction from 0 to 1, not %v", v.name, v.f)
		}
	}
	if ff.f.Latency < 0 || ff.f.SlowDelay < 0 || ff.outageFor < 0 || ff.outageAfter < 0 || ff.f.PutsPerSecond < 0 {
		return fmt.Errorf("durations and -puts-per-second cannot be negative")
	}
	return nil
}

// describe lists the faults that are on, "" for none.
func (ff *faultFlags) describe() string {
	var parts []string
	add := func(on bool, format string, args ...any) {
		if on {
			parts = append(parts, fmt.Sprintf(format, args...))
		}
	}
	f := ff.f
	add(f.Latency > 0, "latency %v", f.Latency)
	add(f.Throttle > 0, "throttle %g", f.Throttle)
	add(f.Unavailable > 0, "unavailable %g", f.Unavailable)
	add(f.InternalFailure > 0, "internal-failure %g", f.InternalFailure)
	add(f.Drop > 0, "drop %g", f.Drop)
	add(f.DropAfter > 0, "drop-after %g", f.DropAfter)
	add(f.Slow > 0, "slow %g after %v", f.Slow, f.SlowDelay)
	add(f.PutsPerSecond > 0, "%d puts/s", f.PutsPerSecond)
	add(ff.outageFor > 0, "outage of %v after %v", ff.outageFor, ff.outageAfter)
	if len(parts) > 0 && f.Seed != 0 {
		parts = append(parts, fmt.Sprintf("seed %d", f.Seed))
	}
	return strings.Join(parts, ", ")
}

func serve(ctx context.Context, args []string, _ io.Reader, stdout, _ io.Writer) error {
	fs := newFlagSet("serve", "serve [-addr 127.0.0.1:4566] [fault flags]\n\n"+
		"Runs an in-memory CloudWatch Logs endpoint (cwlogstest) until interrupted,\n"+
		"and prints its URL on stdout; when interrupted, the count of events it\n"+
		"accepted. The fault flags make it slow or failing, to try an application\n"+
		"against a bad day of CloudWatch; fractions apply to PutLogEvents.\n\n"+
		"Clients reach it with the endpoint URL (AWS_ENDPOINT_URL_CLOUDWATCH_LOGS, or\n"+
		"-endpoint for pipe and tail). For StartLiveTail (live tail) the SDKs put\n"+
		"\"stream-\" before the endpoint's host, a name that does not resolve; turn\n"+
		"that off: boto3 with botocore.config.Config(inject_host_prefix=False);\n"+
		"recent boto3 and AWS CLI with AWS_DISABLE_HOST_PREFIX_INJECTION=true (or\n"+
		"disable_host_prefix_injection = true in the profile); aws-sdk-go-v2 with\n"+
		"smithyhttp.DisableEndpointHostPrefix. cwzap tail does it itself.", stdout)
	addr := fs.String("addr", _defaultAddr, "address to listen on (loopback unless you mean otherwise); 4566 is\n"+
		"also LocalStack's and moto's port: when it is taken, pick another, or\n"+
		"127.0.0.1:0 for any free one")
	seqTokens := fs.Bool("sequence-tokens", false, "check sequence tokens as the service did before 2023")
	discard := fs.Bool("discard", false, "validate and count events without keeping them (for benchmarks: GetLogEvents then returns none)")
	var ff faultFlags
	ff.register(fs)
	if err := parse(fs, args); err != nil {
		return helpOK(err)
	}
	if err := ff.check(); err != nil {
		return err
	}
	srv := cwlogstest.NewUnstartedServer()
	srv.SequenceTokens = *seqTokens
	srv.DiscardEvents = *discard
	if err := srv.Listen(*addr); err != nil {
		srv.Close()
		return listenError(*addr, err)
	}
	srv.Start()
	defer func() {
		srv.Close()
		// What a benchmark or a test run checks its own count against.
		fmt.Fprintf(stdout, "cwzap: %d events accepted in %d PutLogEvents calls\n", srv.EventCount(), srv.Calls("PutLogEvents"))
	}()
	srv.SetFaults(ff.f)
	fmt.Fprintf(stdout, "cwzap: CloudWatch Logs endpoint at %s\n", srv.URL)
	fmt.Fprintf(stdout, "  export AWS_ENDPOINT_URL_CLOUDWATCH_LOGS=%s AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local\n", srv.URL)
	if desc := ff.describe(); desc != "" {
		fmt.Fprintf(stdout, "  faults: %s\n", desc)
	}
	if ff.outageFor <= 0 {
		<-ctx.Done()
		return nil
	}
	return outage(ctx, srv, ff, stdout)
}

// _defaultAddr is serve's -addr: the port AWS's local emulators use, so
// that clients set up for them find it.
const _defaultAddr = "127.0.0.1:4566"

// listenError says why serve cannot listen on -addr, and what to do.
func listenError(addr string, err error) error {
	if errors.Is(err, syscall.EADDRINUSE) {
		return fmt.Errorf("serve: -addr %s is in use (another cwzap serve, LocalStack or moto?): "+
			"stop it, or give another address, such as -addr 127.0.0.1:4567, or -addr 127.0.0.1:0 for any free port", addr)
	}
	var ae *net.AddrError
	if errors.As(err, &ae) {
		return fmt.Errorf("serve: -addr %q: %v: want host:port, such as %s", addr, ae.Err, _defaultAddr)
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	return fmt.Errorf("serve: cannot listen on -addr %s: %v", addr, err)
}

// outage runs the -outage-for outage, then serves until ctx is done.
func outage(ctx context.Context, srv *cwlogstest.Server, ff faultFlags, stdout io.Writer) error {
	t := time.NewTimer(ff.outageAfter)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return nil
	case <-t.C:
	}
	down := ff.f
	down.Outage = true
	srv.SetFaults(down)
	fmt.Fprintf(stdout, "cwzap: outage for %v\n", ff.outageFor)
	t.Reset(ff.outageFor)
	select {
	case <-ctx.Done():
		return nil
	case <-t.C:
	}
	srv.SetFaults(ff.f)
	fmt.Fprintln(stdout, "cwzap: outage over")
	<-ctx.Done()
	return nil
}
