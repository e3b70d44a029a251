package cwlogstest_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go"
)

// CreateLogGroup keeps the class and deletion protection, DescribeLogGroups
// answers them as the service does, and DeleteLogGroup refuses a protected
// group.
func TestGroupClassAndDeletionProtection(t *testing.T) {
	srv, c := newServer(t)
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{
		LogGroupName:              aws.String("cold"),
		LogGroupClass:             types.LogGroupClassInfrequentAccess,
		DeletionProtectionEnabled: aws.Bool(true),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("plain")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.DescribeLogGroups(ctx, &cloudwatchlogs.DescribeLogGroupsInput{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]types.LogGroup{}
	for _, g := range out.LogGroups {
		got[aws.ToString(g.LogGroupName)] = g
	}
	if g := got["cold"]; g.LogGroupClass != types.LogGroupClassInfrequentAccess || !aws.ToBool(g.DeletionProtectionEnabled) {
		t.Errorf("cold: class %q, deletion protection %v; want INFREQUENT_ACCESS, true", g.LogGroupClass, g.DeletionProtectionEnabled)
	}
	if g := got["plain"]; g.LogGroupClass != types.LogGroupClassStandard || g.DeletionProtectionEnabled == nil || *g.DeletionProtectionEnabled {
		t.Errorf("plain: class %q, deletion protection %v; want STANDARD, false", g.LogGroupClass, g.DeletionProtectionEnabled)
	}
	infos := srv.Groups()
	if len(infos) != 2 || infos[0].Name != "cold" || infos[0].Class != "INFREQUENT_ACCESS" || !infos[0].DeletionProtection || infos[1].Class != "STANDARD" {
		t.Errorf("Groups() = %+v", infos)
	}

	var apiErr smithy.APIError
	_, err = c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("cold")})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException" || !strings.Contains(apiErr.ErrorMessage(), "deletion protection") {
		t.Errorf("DeleteLogGroup of a protected group: %v, want ValidationException", err)
	}
	if _, err := c.DeleteLogGroup(ctx, &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String("plain")}); err != nil {
		t.Errorf("DeleteLogGroup of an unprotected group: %v", err)
	}

	_, err = c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("x"), LogGroupClass: "COLD"})
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "ValidationException" || !strings.Contains(apiErr.ErrorMessage(), "'COLD'") {
		t.Errorf("CreateLogGroup with class COLD: %v, want ValidationException", err)
	}
}
