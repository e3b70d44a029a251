package cwzap

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// The options of what rides with a PutLogEvents request besides the
// events (wire.go): compression and the entity.

// DefaultCompression is whether PutLogEvents bodies are gzip-compressed
// when WithCompression is not given: off. Measured against `cwzap serve`
// (bench/README.md), gzip sends about 20 times fewer bytes but costs the
// client a quarter more CPU per event and a fifth of its events/s, and
// each put being compressed holds a 1.2 MB compressor outside
// WithBufferLimit. Turn it on where bytes leaving the host are paid for
// (a NAT gateway) or the link is slow.
const DefaultCompression = false

// wireOptions are the options of this file, kept in syncerOptions.
type wireOptions struct {
	compression int8 // 0: DefaultCompression; 1 on; -1 off
	entity      *types.Entity
}

// WithCompression says whether PutLogEvents request bodies are sent
// gzip-compressed (Content-Encoding: gzip), as the CloudWatch agent sends
// them. The signature covers the compressed body; the batch limits still
// count uncompressed bytes, as the service does. Each put being
// compressed holds about 1.2 MB of compressor state besides its batch.
// Defaults to DefaultCompression (off). It applies to *cloudwatchlogs.Client clients; another
// Client receives ordinary inputs.
func WithCompression(on bool) SyncerOption {
	return syncerOption(func(o *syncerOptions) {
		o.wire.compression = -1
		if on {
			o.wire.compression = 1
		}
	})
}

// The service's limits on an entity (PutLogEvents, Entity:
// https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_Entity.html).
const (
	_entityMinKeys     = 2
	_entityMaxKeys     = 4
	_entityMaxKeyLen   = 32
	_entityMaxAttrs    = 10
	_entityMaxAttrKey  = 256
	_entityMaxValueLen = 512
)

// _entityKeyAttributes are the key attribute names the service accepts in
// an entity. Unexported, so that no importer can change what WithEntity
// accepts; EntityKeyAttributeNames returns a copy.
var _entityKeyAttributes = []string{"Type", "ResourceType", "Identifier", "Name", "Environment"}

// EntityKeyAttributeNames returns the key attribute names the service
// accepts in an entity (WithEntity): Type, ResourceType, Identifier, Name
// and Environment. The slice is the caller's: changing it changes nothing
// in cwzap.
func EntityKeyAttributeNames() []string {
	return slices.Clone(_entityKeyAttributes)
}

// WithEntity sets the entity sent with every PutLogEvents call: the
// resource or service that wrote the events, which CloudWatch's "Explore
// related" view ties them to. keyAttributes identify it: 2 to 4 of the
// names EntityKeyAttributeNames returns (Type, ResourceType, Identifier,
// Name, Environment), values of 1 to 512 characters, for example
//
//	{"Type": "Service", "Name": "checkout", "Environment": "prod"}
//
// attributes describe it: at most 10, keys of 1 to 256 characters, values
// of 1 to 512. A value outside those rules is an error from NewSyncer that
// says what is wanted. The maps are copied. Defaults to none.
//
// An entity the service refuses for what it means (an unknown Type, a
// field its Type requires missing) never fails a put: the events are
// stored without it, and the error handler hears of the first refusal.
func WithEntity(keyAttributes, attributes map[string]string) SyncerOption {
	e := &types.Entity{KeyAttributes: maps.Clone(keyAttributes), Attributes: maps.Clone(attributes)}
	return newSyncerSetting("WithEntity", "", func(o *syncerOptions, at origin) {
		if err := validateEntity(e); err != nil {
			o.refuse(at, "%v", err)
			return
		}
		o.wire.entity = e
	})
}

// validateEntity says what is wrong with e, if anything, and what is
// wanted instead.
func validateEntity(e *types.Entity) error {
	names := strings.Join(_entityKeyAttributes, ", ")
	switch n := len(e.KeyAttributes); {
	case n == 1:
		return fmt.Errorf("1 key attribute; want %d to %d of %s", _entityMinKeys, _entityMaxKeys, names)
	case n < _entityMinKeys || n > _entityMaxKeys:
		return fmt.Errorf("%d key attributes; want %d to %d of %s", n, _entityMinKeys, _entityMaxKeys, names)
	}
	for _, k := range slices.Sorted(maps.Keys(e.KeyAttributes)) {
		if !slices.Contains(_entityKeyAttributes, k) {
			return fmt.Errorf("key attribute %q: want one of %s", k, names)
		}
		if v := e.KeyAttributes[k]; !lengthOK(v, _entityMaxValueLen) {
			return fmt.Errorf("key attribute %s = %q: want 1 to %d characters of valid UTF-8", k, v, _entityMaxValueLen)
		}
	}
	if len(e.Attributes) > _entityMaxAttrs {
		return fmt.Errorf("%d attributes; the service takes at most %d", len(e.Attributes), _entityMaxAttrs)
	}
	for _, k := range slices.Sorted(maps.Keys(e.Attributes)) {
		if !lengthOK(k, _entityMaxAttrKey) {
			return fmt.Errorf("attribute %q: want a name of 1 to %d characters of valid UTF-8", k, _entityMaxAttrKey)
		}
		if v := e.Attributes[k]; !lengthOK(v, _entityMaxValueLen) {
			return fmt.Errorf("attribute %s = %q: want 1 to %d characters of valid UTF-8", k, v, _entityMaxValueLen)
		}
	}
	return nil
}

func lengthOK(s string, max int) bool {
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= max && utf8.ValidString(s)
}

// compressed reports whether bodies are compressed.
func (w wireOptions) compressed() bool {
	if w.compression == 0 {
		return DefaultCompression
	}
	return w.compression > 0
}
