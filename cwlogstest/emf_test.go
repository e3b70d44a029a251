package cwlogstest_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/cwzap/cwzap/cwlogstest"
)

const validEMF = `{"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[["svc"],[]],"Metrics":[{"Name":"t","Unit":"Milliseconds"},{"Name":"n"}]}]},"svc":"api","t":[1,2],"n":3}`

func TestExtractMetrics(t *testing.T) {
	got, ok := cwlogstest.ExtractMetrics([]byte(validEMF))
	if !ok || len(got) != 4 {
		t.Fatalf("ExtractMetrics = %+v, %v; want 4 metrics (2 metrics × 2 dimension sets)", got, ok)
	}
	if got[0].Name != "t" || got[0].Unit != "Milliseconds" || got[0].Dimensions["svc"] != "api" || len(got[0].Values) != 2 || got[0].Timestamp != 1700000000000 {
		t.Errorf("first metric = %+v", got[0])
	}
	if got[1].Name != "t" || len(got[1].Dimensions) != 0 || got[3].Name != "n" || got[3].Unit != "None" || got[3].Values[0] != 3 {
		t.Errorf("metrics = %+v", got)
	}
	for _, m := range got {
		if m.StorageResolution != 60 {
			t.Errorf("%s: StorageResolution %d, want 60 when the document gives none", m.Name, m.StorageResolution)
		}
	}
	for _, plain := range []string{"not json", `{"a":1}`, `[1,2]`, `{"doc":"{\"_aws\":{}}"}`} {
		if m, ok := cwlogstest.ExtractMetrics([]byte(plain)); !ok || m != nil {
			t.Errorf("ExtractMetrics(%s) = %v, %v; want a plain event", plain, m, ok)
		}
	}
}

// StorageResolution is kept: 1 for high resolution, 60 for standard.
func TestExtractMetricsStorageResolution(t *testing.T) {
	doc := `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[[]],"Metrics":[` +
		`{"Name":"hi","StorageResolution":1},{"Name":"std","StorageResolution":60},{"Name":"std2","StorageResolution":60.0},{"Name":"none"}]}]},` +
		`"hi":1,"std":2,"std2":3,"none":4}`
	got, ok := cwlogstest.ExtractMetrics([]byte(doc))
	want := map[string]int{"hi": 1, "std": 60, "std2": 60, "none": 60}
	if !ok || len(got) != len(want) {
		t.Fatalf("ExtractMetrics = %+v, %v; want %d metrics", got, ok, len(want))
	}
	for _, m := range got {
		if m.StorageResolution != want[m.Name] {
			t.Errorf("%s: StorageResolution %d, want %d", m.Name, m.StorageResolution, want[m.Name])
		}
	}
}

func TestExtractMetricsRejectsBrokenRules(t *testing.T) {
	dims31 := `["d0"` + strings.Repeat(`,"d0"`, 30) + `]`
	metrics101 := `{"Name":"n"}` + strings.Repeat(`,{"Name":"n"}`, 100)
	values101 := `[0` + strings.Repeat(`,0`, 100) + `]`
	tests := []struct{ name, doc string }{
		{"no timestamp", `{"_aws":{"CloudWatchMetrics":[]}}`},
		{"no directives", `{"_aws":{"Timestamp":1}}`},
		{"no namespace", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Dimensions":[[]],"Metrics":[{"Name":"n"}]}]},"n":1}`},
		{"31 dimensions", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[` + dims31 + `],"Metrics":[{"Name":"n"}]}]},"n":1,"d0":"x"}`},
		{"101 metrics", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[[]],"Metrics":[` + metrics101 + `]}]},"n":1}`},
		{"101 values", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[[]],"Metrics":[{"Name":"n"}]}]},"n":` + values101 + `}`},
		{"a missing metric", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[[]],"Metrics":[{"Name":"n"}]}]}}`},
		{"a string metric", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[[]],"Metrics":[{"Name":"n"}]}]},"n":"1"}`},
		{"a nested metric", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[[]],"Metrics":[{"Name":"a.n"}]}]},"a":{"n":1}}`},
		{"a missing dimension", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[["svc"]],"Metrics":[{"Name":"n"}]}]},"n":1}`},
		{"a number dimension", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[["svc"]],"Metrics":[{"Name":"n"}]}]},"n":1,"svc":7}`},
		{"an unknown unit", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[[]],"Metrics":[{"Name":"n","Unit":"Parsecs"}]}]},"n":1}`},
		{"a storage resolution of 5", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[[]],"Metrics":[{"Name":"n","StorageResolution":5}]}]},"n":1}`},
		{"a storage resolution of 1.5", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[[]],"Metrics":[{"Name":"n","StorageResolution":1.5}]}]},"n":1}`},
		{"a string storage resolution", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[[]],"Metrics":[{"Name":"n","StorageResolution":"1"}]}]},"n":1}`},
		{"a null storage resolution", `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[[]],"Metrics":[{"Name":"n","StorageResolution":null}]}]},"n":1}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if m, ok := cwlogstest.ExtractMetrics([]byte(tt.doc)); ok || m != nil {
				t.Errorf("ExtractMetrics = %+v, %v; want an invalid document", m, ok)
			}
		})
	}
}

// withHeader sets a request header on every call.
func withHeader(key, value string) func(*cloudwatchlogs.Options) {
	return func(o *cloudwatchlogs.Options) {
		o.APIOptions = append(o.APIOptions, func(s *middleware.Stack) error {
			return s.Build.Add(middleware.BuildMiddlewareFunc("header", func(ctx context.Context, in middleware.BuildInput, next middleware.BuildHandler) (middleware.BuildOutput, middleware.Metadata, error) {
				in.Request.(*smithyhttp.Request).Header.Set(key, value)
				return next.HandleBuild(ctx, in)
			}), middleware.After)
		})
	}
}

func TestServerExtractsMetricsOnlyWithTheHeader(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c := srv.Client()
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UnixMilli()
	put := func(c *cloudwatchlogs.Client, msgs ...string) {
		t.Helper()
		in := &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}
		for _, m := range msgs {
			in.LogEvents = append(in.LogEvents, types.InputLogEvent{Message: aws.String(m), Timestamp: aws.Int64(now)})
		}
		if _, err := c.PutLogEvents(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	put(c, validEMF)
	if got := srv.Metrics(""); len(got) != 0 {
		t.Fatalf("metrics without the header: %+v", got)
	}
	emf := srv.Client(withHeader(cwlogstest.LogFormatHeader, cwlogstest.LogFormatEMF))
	badResolution := `{"_aws":{"Timestamp":1,"CloudWatchMetrics":[{"Namespace":"ns","Dimensions":[[]],"Metrics":[{"Name":"n","StorageResolution":"1"}]}]},"n":1}`
	put(emf, validEMF, "plain", `{"_aws":{"Timestamp":1}}`, badResolution)
	got := srv.Metrics("ns")
	if len(got) != 4 || got[0].Group != "g" || got[0].Stream != "s" {
		t.Errorf("metrics = %+v, want the 4 of the valid document, with group and stream", got)
	}
	if n := srv.EMFErrors(); n != 2 {
		t.Errorf("EMFErrors = %d, want 2 (no timestamp, a string StorageResolution)", n)
	}
	if n := len(srv.Events("g", "s")); n != 5 {
		t.Errorf("%d events stored, want all 5: EMF events are log events too", n)
	}
}
