package cwzap_test

// Reliability tests: the promise that every event Write or WriteEntry
// accepted ends delivered, in the fallback writer, or counted as dropped,
// under every fault cwlogstest can inject; memory through an outage; hostile
// input; and credentials that never reach an error or the fallback writer.
//
// The default run is sized for CI (`go test -race ./...`). The flag
//
//	go test -race -run 'Reliab|Memory' -cwzap.soak -timeout 30m .
//
// runs the long variants: 200,000 entries per fault instead of 20,000, and a
// 30 s outage instead of 3 s in the memory test.

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"go.uber.org/zap"

	"github.com/cwzap/cwzap"
	"github.com/cwzap/cwzap/cwlogstest"
)

// credentialSpy checks that the credentials are really used, so that the
// test of their absence in the output is not vacuous.
type credentialSpy struct {
	next           aws.HTTPClient
	sawKey, sawTok atomic.Bool
	keyID, token   string
}

func (c *credentialSpy) Do(req *http.Request) (*http.Response, error) {
	if strings.Contains(req.Header.Get("Authorization"), c.keyID) {
		c.sawKey.Store(true)
	}
	if req.Header.Get("X-Amz-Security-Token") == c.token {
		c.sawTok.Store(true)
	}
	return c.next.Do(req)
}

func TestCredentialsNeverLeak(t *testing.T) {
	const (
		keyID  = "AKIAEXAMPLEKEYID1234"
		secret = "SECRETsecretSECRETsecret"
		token  = "SESSIONtoken"
	)
	srv := cwlogstest.NewServer()
	defer closeServer(srv)
	spy := &credentialSpy{next: srv.Config().HTTPClient, keyID: keyID, token: token}
	client := cloudwatchlogs.NewFromConfig(aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, token),
		BaseEndpoint: aws.String(srv.URL),
		HTTPClient:   spy,
	})

	tests := []struct {
		name      string
		giveOpts  []cwzap.SyncerOption
		giveSetup func()
		giveWrite func(*zap.Logger)
	}{
		{
			name:      "outage until the put timeout",
			giveOpts:  []cwzap.SyncerOption{cwzap.WithPutTimeout(300 * time.Millisecond)},
			giveSetup: func() { srv.SetFaults(cwlogstest.Faults{Outage: true}) },
		},
		{
			name:      "connections dropped until the put timeout",
			giveOpts:  []cwzap.SyncerOption{cwzap.WithPutTimeout(300 * time.Millisecond)},
			giveSetup: func() { srv.SetFaults(cwlogstest.Faults{Drop: 1}) },
		},
		{
			name:     "missing group without WithCreateGroup",
			giveOpts: []cwzap.SyncerOption{cwzap.WithCreateGroup(false)},
		},
		{
			name: "rejected events",
			giveWrite: func(l *zap.Logger) {
				l.WithOptions(zap.WithClock(fixedClock(time.Now().Add(-15 * 24 * time.Hour)))).Info("old")
				l.WithOptions(zap.WithClock(fixedClock(time.Now().Add(3 * time.Hour)))).Info("ahead")
			},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv.SetFaults(cwlogstest.Faults{})
			if tt.giveSetup != nil {
				tt.giveSetup()
			}
			defer srv.SetFaults(cwlogstest.Faults{})
			fallback := &lockedBuffer{}
			errs := &errorLog{}
			s, err := cwzap.NewSyncer(fmt.Sprintf("/creds/%d", i), "s",
				append([]cwzap.SyncerOption{
					cwzap.WithClient(client),
					cwzap.WithFallback(fallback),
					cwzap.WithErrorHandler(errs.handle),
					cwzap.WithFlushInterval(time.Hour),
				}, tt.giveOpts...)...)
			if err != nil {
				t.Fatal(err)
			}
			logger := zap.New(cwzap.NewCore(s, zap.InfoLevel))
			if tt.giveWrite != nil {
				tt.giveWrite(logger)
			} else {
				logger.Info("first", zap.Int("id", 1))
				logger.Warn("second", zap.Error(errors.New("cause")))
			}
			syncErr := logger.Sync()
			logger.Info("after the failure")
			closeErr := s.Close()
			// A write after Close goes to the fallback with ErrClosed.
			_, afterErr := s.Write([]byte("after close"))

			var texts []string
			add := func(what string, err error) {
				if err != nil {
					texts = append(texts, what+": "+err.Error(), fmt.Sprintf("%s: %+v", what, err), fmt.Sprintf("%s: %#v", what, err))
				}
			}
			add("Sync", syncErr)
			add("Close", closeErr)
			add("Write after Close", afterErr)
			for _, err := range errs.all() {
				add("error handler", err)
			}
			if syncErr == nil || len(errs.all()) == 0 || len(fallback.Lines()) == 0 {
				t.Fatalf("the failure was not reported: Sync %v, %d handler errors, %d fallback lines", syncErr, len(errs.all()), len(fallback.Lines()))
			}
			texts = append(texts, "fallback: "+strings.Join(fallback.Lines(), "\n"))
			for _, text := range texts {
				for _, secretText := range []string{keyID, secret, token} {
					if strings.Contains(text, secretText) {
						t.Errorf("%q leaked in %s", secretText, text)
					}
				}
			}
		})
	}
	if !spy.sawKey.Load() || !spy.sawTok.Load() {
		t.Errorf("the requests did not carry the credentials (key id seen %v, token seen %v)", spy.sawKey.Load(), spy.sawTok.Load())
	}
}
