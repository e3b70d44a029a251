package cwlogstest_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/cwzap/cwzap/cwlogstest"
)

func TestPutLogEventsEntity(t *testing.T) {
	tests := []struct {
		name       string
		keys       map[string]string
		attrs      map[string]string
		wantReject types.EntityRejectionErrorType
	}{
		{"a service", map[string]string{"Type": "Service", "Name": "checkout", "Environment": "prod"}, map[string]string{"PlatformType": "Generic"}, ""},
		{"an AWS resource", map[string]string{"Type": "AWS::Resource", "ResourceType": "AWS::DynamoDB::Table", "Identifier": "orders"}, nil, ""},
		{"an unknown type", map[string]string{"Type": "Planet", "Name": "mars"}, nil, types.EntityRejectionErrorTypeInvalidTypeValue},
		{"no type", map[string]string{"Name": "checkout", "Environment": "prod"}, nil, types.EntityRejectionErrorTypeMissingRequiredFields},
		{"a field the type requires missing", map[string]string{"Type": "Service", "Name": "checkout"}, nil, types.EntityRejectionErrorTypeMissingRequiredFields},
		{"an unknown key attribute", map[string]string{"Type": "Service", "Team": "core"}, nil, types.EntityRejectionErrorTypeInvalidKeyAttribute},
		{"one key attribute", map[string]string{"Type": "Service"}, nil, types.EntityRejectionErrorTypeInvalidKeyAttribute},
		{"eleven attributes", map[string]string{"Type": "AWS::Service", "Name": "s3"},
			map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6", "g": "7", "h": "8", "i": "9", "j": "10", "k": "11"},
			types.EntityRejectionErrorTypeInvalidAttributes},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := cwlogstest.NewServer()
			defer srv.Close()
			ctx, c := context.Background(), srv.Client()
			if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("g")}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("g"), LogStreamName: aws.String("s")}); err != nil {
				t.Fatal(err)
			}
			out, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{
				LogGroupName: aws.String("g"), LogStreamName: aws.String("s"),
				Entity:    &types.Entity{KeyAttributes: tt.keys, Attributes: tt.attrs},
				LogEvents: []types.InputLogEvent{{Message: aws.String("m"), Timestamp: aws.Int64(time.Now().UnixMilli())}},
			})
			if err != nil {
				t.Fatalf("PutLogEvents failed: %v; an entity never fails a put", err)
			}
			var got types.EntityRejectionErrorType
			if out.RejectedEntityInfo != nil {
				got = out.RejectedEntityInfo.ErrorType
			}
			if got != tt.wantReject {
				t.Errorf("rejectedEntityInfo = %q, want %q", got, tt.wantReject)
			}
			if n := len(srv.Events("g", "s")); n != 1 {
				t.Errorf("%d events stored, want 1", n)
			}
			e, ok := srv.Entity("g", "s")
			if ok != (tt.wantReject == "") || ok && e.KeyAttributes["Type"] != tt.keys["Type"] {
				t.Errorf("Entity = %+v, %v", e, ok)
			}
		})
	}
}
