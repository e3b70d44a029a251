package cwlogstest

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

func (s *Server) createLogGroup(body []byte) (any, *apiError) {
	var in struct {
		LogGroupName              string            `json:"logGroupName"`
		KmsKeyID                  string            `json:"kmsKeyId"`
		Tags                      map[string]string `json:"tags"`
		LogGroupClass             string            `json:"logGroupClass"`
		DeletionProtectionEnabled bool              `json:"deletionProtectionEnabled"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if err := checkGroupName(in.LogGroupName); err != nil {
		return nil, err
	}
	if in.LogGroupClass == "" {
		in.LogGroupClass = "STANDARD"
	}
	if !slices.Contains(_groupClasses, in.LogGroupClass) {
		return nil, apiErr(http.StatusBadRequest, "ValidationException", fmt.Sprintf(
			"1 validation error detected: Value '%s' at 'logGroupClass' failed to satisfy constraint: Member must satisfy enum value set: [%s]",
			in.LogGroupClass, strings.Join(_groupClasses, ", ")))
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	if s.data.groups[in.LogGroupName] != nil {
		return nil, apiErr(http.StatusBadRequest, "ResourceAlreadyExistsException", "The specified log group already exists")
	}
	s.data.groups[in.LogGroupName] = &group{
		name:     in.LogGroupName,
		created:  nowMillis(),
		kmsKeyID: in.KmsKeyID,
		tags:     in.Tags,
		class:    in.LogGroupClass,
		protect:  in.DeletionProtectionEnabled,
		streams:  make(map[string]*stream),
	}
	return nil, nil
}

// _groupClasses are the log group classes the service knows.
var _groupClasses = []string{"STANDARD", "INFREQUENT_ACCESS", "DELIVERY", "ESSENTIALS"}

func (s *Server) deleteLogGroup(body []byte) (any, *apiError) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	g, err := s.lookupGroup(in.LogGroupName, "")
	if err != nil {
		return nil, err
	}
	if g.protect {
		return nil, apiErr(http.StatusBadRequest, "ValidationException", "Cannot delete log group with deletion protection enabled. Disable deletion protection first.")
	}
	delete(s.data.groups, in.LogGroupName)
	return nil, nil
}

func (s *Server) putRetentionPolicy(body []byte) (any, *apiError) {
	var in struct {
		LogGroupName    string `json:"logGroupName"`
		RetentionInDays int32  `json:"retentionInDays"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if !slices.Contains(retentionDays, in.RetentionInDays) {
		return nil, validationError(strconv.Itoa(int(in.RetentionInDays)), "retentionInDays",
			"Member must satisfy enum value set: "+fmt.Sprint(retentionDays))
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	g, err := s.lookupGroup(in.LogGroupName, "")
	if err != nil {
		return nil, err
	}
	g.retention = in.RetentionInDays
	return nil, nil
}

type tagsOutput struct {
	Tags map[string]string `json:"tags,omitempty"`
}

func (s *Server) listTagsLogGroup(body []byte) (any, *apiError) {
	var in struct {
		LogGroupName string `json:"logGroupName"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	g, err := s.lookupGroup(in.LogGroupName, "")
	if err != nil {
		return nil, err
	}
	return tagsOutput{maps.Clone(g.tags)}, nil
}

func (s *Server) listTagsForResource(body []byte) (any, *apiError) {
	var in struct {
		ResourceARN string `json:"resourceArn"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	name, ok := groupFromARN(in.ResourceARN)
	if !ok {
		return nil, invalidParam("Invalid resource ARN: " + in.ResourceARN)
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	g, err := s.lookupGroup(name, "")
	if err != nil {
		return nil, err
	}
	return tagsOutput{maps.Clone(g.tags)}, nil
}

type logGroupOut struct {
	LogGroupName      string `json:"logGroupName"`
	CreationTime      int64  `json:"creationTime"`
	RetentionInDays   int32  `json:"retentionInDays,omitempty"`
	MetricFilterCount *int32 `json:"metricFilterCount,omitempty"`
	Arn               string `json:"arn"`
	LogGroupArn       string `json:"logGroupArn,omitempty"`
	StoredBytes       *int64 `json:"storedBytes,omitempty"`
	KmsKeyID          string `json:"kmsKeyId,omitempty"`
	LogGroupClass     string `json:"logGroupClass,omitempty"`
	DeletionProtected *bool  `json:"deletionProtectionEnabled,omitempty"`
}

func (s *Server) describeLogGroups(body []byte) (any, *apiError) {
	var in struct {
		Prefix    string `json:"logGroupNamePrefix"`
		Pattern   string `json:"logGroupNamePattern"`
		NextToken string `json:"nextToken"`
		Limit     *int32 `json:"limit"`
	}
	if err := decode(body, &in); err != nil {
		return nil, err
	}
	if in.Prefix != "" && in.Pattern != "" {
		return nil, invalidParam("LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.")
	}
	limit, err := checkLimit(in.Limit, maxDescribe)
	if err != nil {
		return nil, err
	}
	var after string
	if in.NextToken != "" {
		if after, err = decodeToken("g/", in.NextToken); err != nil {
			return nil, err
		}
	}
	s.data.mu.Lock()
	defer s.data.mu.Unlock()
	out := struct {
		LogGroups []logGroupOut `json:"logGroups"`
		NextToken string        `json:"nextToken,omitempty"`
	}{LogGroups: []logGroupOut{}}
	for _, name := range slices.Sorted(maps.Keys(s.data.groups)) {
		// The pattern is a case-sensitive substring.
		if name < after || !strings.HasPrefix(name, in.Prefix) || !strings.Contains(name, in.Pattern) {
			continue
		}
		if len(out.LogGroups) == limit {
			out.NextToken = encodeToken("g/", name)
			break
		}
		g := s.data.groups[name]
		if in.Pattern != "" {
			// With a pattern the service answers only these three members.
			out.LogGroups = append(out.LogGroups, logGroupOut{
				LogGroupName: name, CreationTime: g.created, Arn: groupARN(name) + ":*",
			})
			continue
		}
		var stored int64
		for _, st := range g.streams {
			stored += st.bytes
		}
		out.LogGroups = append(out.LogGroups, logGroupOut{
			LogGroupName:      name,
			CreationTime:      g.created,
			RetentionInDays:   g.retention,
			Arn:               groupARN(name) + ":*",
			LogGroupArn:       groupARN(name),
			MetricFilterCount: new(int32),
			StoredBytes:       &stored,
			KmsKeyID:          g.kmsKeyID,
			LogGroupClass:     g.class,
			DeletionProtected: &g.protect,
		})
	}
	return out, nil
}
