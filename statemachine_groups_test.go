package cwzap

import (
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/cwzap/cwzap/cwlogstest"
)

// groupOf returns what the endpoint knows of one group.
func groupOf(t *testing.T, srv *cwlogstest.Server, name string) cwlogstest.GroupInfo {
	t.Helper()
	for _, g := range srv.Groups() {
		if g.Name == name {
			return g
		}
	}
	t.Fatalf("no group %q", name)
	return cwlogstest.GroupInfo{}
}

// writeOne writes one event through a new Syncer and closes it.
func writeOne(t *testing.T, srv *cwlogstest.Server, group, stream string, opts ...SyncerOption) {
	t.Helper()
	s, err := NewSyncer(group, stream, append([]SyncerOption{WithClient(srv.Client())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.WriteEntry(time.Now(), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := s.Sync(); err != nil {
		t.Fatalf("Sync: %v", err)
	}
}

// The class and deletion protection apply when the Syncer creates the
// group, and a group that exists keeps what it has.
func TestGroupClassAndProtectionOnCreation(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	writeOne(t, srv, "/app/cold", "s", WithLogGroupClass("infrequent_access"), WithDeletionProtection(true))
	if g := groupOf(t, srv, "/app/cold"); g.Class != "INFREQUENT_ACCESS" || !g.DeletionProtection {
		t.Errorf("created group: %+v, want INFREQUENT_ACCESS and deletion protection", g)
	}

	// A second writer with other settings finds the group and leaves it.
	writeOne(t, srv, "/app/cold", "s2", WithLogGroupClass(LogGroupClassStandard))
	if g := groupOf(t, srv, "/app/cold"); g.Class != "INFREQUENT_ACCESS" || !g.DeletionProtection {
		t.Errorf("after a second writer: %+v, want the settings of the creation", g)
	}
	if n := srv.Calls("CreateLogGroup"); n != 1 {
		t.Errorf("CreateLogGroup called %d times, want 1", n)
	}

	// Without the options, the service's defaults.
	writeOne(t, srv, "/app/plain", "s")
	if g := groupOf(t, srv, "/app/plain"); g.Class != "STANDARD" || g.DeletionProtection {
		t.Errorf("default group: %+v, want STANDARD without deletion protection", g)
	}
}

func TestUnknownGroupClass(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	for _, class := range []LogGroupClass{"COLD", "DELIVERY"} {
		_, err := NewSyncer("g", "s", WithClient(srv.Client()), WithLogGroupClass(class))
		if err == nil || !strings.Contains(err.Error(), string(class)) || !strings.Contains(err.Error(), "want STANDARD or INFREQUENT_ACCESS") {
			t.Errorf("WithLogGroupClass(%q): %v, want an error naming it and the allowed classes", class, err)
		}
	}
	_, err := ParseSpec([]byte(`{"group": "g", "stream": "s", "group-class": "COLD"}`))
	if want := `cwzap: spec: group-class "COLD": unknown log group class; want STANDARD or INFREQUENT_ACCESS`; err == nil || err.Error() != want {
		t.Errorf("ParseSpec: %v, want %s", err, want)
	}
	_, err = ParseSpec([]byte(`{"group": "g", "stream": "s", "deletion-protection": "yes"}`))
	if err == nil || !strings.Contains(err.Error(), "deletion-protection: want true or false") {
		t.Errorf("ParseSpec: %v, want an error naming deletion-protection", err)
	}
	if _, _, err := zap.Open(sinkURL(srv, "g", "s") + "&class=COLD"); err == nil || !strings.Contains(err.Error(), `class=COLD: unknown log group class; want STANDARD or INFREQUENT_ACCESS`) {
		t.Errorf("sink with class=COLD: %v", err)
	}
}

func TestGroupSettingsInSpecAndSinkURL(t *testing.T) {
	srv := cwlogstest.NewServer()
	defer srv.Close()
	spec, err := ParseSpec([]byte(`{"logging": {"class": "cloud-watch", "cloud-watch":
		{"group": "/spec", "stream": "s", "group-class": "INFREQUENT_ACCESS", "deletion-protection": true}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if !spec.CloudWatch.DeletionProtection || spec.CloudWatch.GroupClass != "INFREQUENT_ACCESS" {
		t.Fatalf("ParseSpec = %+v", spec)
	}
	l, err := spec.Build(WithClient(srv.Client()))
	if err != nil {
		t.Fatal(err)
	}
	l.Info("x")
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	SyncerOf(l).Close()
	if g := groupOf(t, srv, "/spec"); g.Class != "INFREQUENT_ACCESS" || !g.DeletionProtection {
		t.Errorf("spec's group: %+v", g)
	}

	ws, closeSink, err := zap.Open(sinkURL(srv, "sink", "s") + "&class=infrequent_access&protect=true")
	if err != nil {
		t.Fatal(err)
	}
	ws.Write([]byte("x"))
	closeSink()
	if g := groupOf(t, srv, "sink"); g.Class != "INFREQUENT_ACCESS" || !g.DeletionProtection {
		t.Errorf("sink's group: %+v", g)
	}
}
