package redact

import (
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
)

func TestParseURLReadsUserInfoUpToTheLastAtBeforeTheQuery(t *testing.T) {
	tests := []struct {
		in                   string
		userInfo, host, rest string
		hasUserInfo          bool
	}{
		{"postgresql://u:pw@h:5432/d?sslmode=disable", "u:pw", "h:5432", "/d?sslmode=disable", true},
		{"postgresql://u:2024/secret@h/d", "u:2024/secret", "h", "/d", true},
		{"postgresql://u:a@b@h/d", "u:a@b", "h", "/d", true},
		{"postgresql://u:p#w@h/d", "u:p#w", "h", "/d", true},
		{"postgresql://h/d?opt=a@b", "", "h", "/d?opt=a@b", false},
		{"postgresql:///d?host=/tmp", "", "", "/d?host=/tmp", false},
		{"sqlite:///rel/x:y@z.db", "", "", "/rel/x:y@z.db", false},
		{"nats://tok@a:4222", "tok", "a:4222", "", true},
		{"postgresql://u:p@h1:5432,h2:5432/d", "u:p", "h1:5432,h2:5432", "/d", true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			u, ok := ParseURL(tt.in)
			if !ok {
				t.Fatal("not read as a URL")
			}
			if u.UserInfo != tt.userInfo || u.HasUserInfo != tt.hasUserInfo || u.Host != tt.host || u.Rest != tt.rest {
				t.Errorf("got user info %q (%t), host %q, rest %q", u.UserInfo, u.HasUserInfo, u.Host, u.Rest)
			}
		})
	}
	for _, s := range []string{"host=db password=x", "db:5432", "", "://h", "a/b://h"} {
		if _, ok := ParseURL(s); ok {
			t.Errorf("ParseURL(%q) read a URL", s)
		}
	}
}

// TestCheckRefusesWhatGoReadsOtherwise proves Check against net/url: every
// URL Check accepts is split by url.Parse into the same user name, password
// and host; every shape of password that url.Parse misreads or refuses is
// refused.
func TestCheckRefusesWhatGoReadsOtherwise(t *testing.T) {
	accepted := []string{
		"postgresql://u:pw@h:5432/d",
		"postgresql://u:p%2Fw%40x%3F%23%25@h/d?sslmode=require",
		"postgresql://u:pa:ss@h/d",
		"postgresql://u:!$&'()*+,;=~._-@h/d",
		"postgresql://h/d",
		"nats://tok@a:4222",
		"postgresql://u@h/d?opt=a%40b",
	}
	for _, s := range accepted {
		t.Run(s, func(t *testing.T) {
			u, _ := ParseURL(s)
			if err := u.Check(); err != nil {
				t.Fatalf("Check: %v", err)
			}
			pu, err := url.Parse(s)
			if err != nil {
				t.Fatalf("url.Parse: %v", err)
			}
			pw, hasPW := u.Password()
			gotPW, gotHasPW := "", false
			if pu.User != nil {
				gotPW, gotHasPW = pu.User.Password()
			}
			wantPW, _ := url.PathUnescape(pw)
			if pu.Host != u.Host || gotHasPW != hasPW || gotPW != wantPW {
				t.Errorf("url.Parse reads host %q password %q (%t); ParseURL host %q password %q (%t)", pu.Host, gotPW, gotHasPW, u.Host, wantPW, hasPW)
			}
			if u.Scheme != "postgresql" {
				return
			}
			cfg, err := pgconn.ParseConfig(s)
			if err != nil {
				t.Fatalf("pgconn.ParseConfig: %v", err)
			}
			if wantUser, _ := url.PathUnescape(u.User()); cfg.Host != pu.Hostname() || cfg.Password != wantPW || (u.HasUserInfo && cfg.User != wantUser) {
				t.Errorf("pgx reads host %q user %q password %q; ParseURL host %q user %q password %q", cfg.Host, cfg.User, cfg.Password, pu.Hostname(), wantUser, wantPW)
			}
		})
	}
	refused := []string{
		"postgresql://u:2024/secret@h/d",
		"postgresql://u:p/w@h/d",
		"postgresql://u:p?w@h/d",
		"postgresql://u:1234/w?x@h/d",
		"postgresql://u:p#w@h/d",
		"postgresql://u:p@w@h/d",
		"postgresql://u:p%zz@h/d",
		"postgresql://u:p%2@h/d",
		"postgresql://u:p w@h/d",
		"postgresql://u:pé@h/d",
		"postgresql://h/d?opt=a@b",
		"nats://u:12/x@h",
	}
	for _, s := range refused {
		t.Run(s, func(t *testing.T) {
			u, _ := ParseURL(s)
			err := u.Check()
			if !errors.Is(err, ErrAmbiguousURL) {
				t.Fatalf("Check = %v, want ErrAmbiguousURL", err)
			}
			if strings.Contains(err.Error(), s) || strings.Contains(err.Error(), "secret") {
				t.Errorf("error quotes the URL: %v", err)
			}
		})
	}
}

func TestUserInfosGivesEveryReading(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"postgresql://u:pw@h/d", []string{"u:pw"}},
		{"postgresql://u:p?w@h/d", []string{"u:p?w"}},
		{"postgresql://u:p@h/d?x=a@b", []string{"u:p", "u:p@h/d?x=a"}},
		{"postgresql://h/d", nil},
		{"sqlite:///a:b@c.db", nil},
	}
	for _, tt := range tests {
		u, _ := ParseURL(tt.in)
		if got := u.UserInfos(); !slices.Equal(got, tt.want) {
			t.Errorf("UserInfos(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCredentialParams(t *testing.T) {
	u, _ := ParseURL("postgresql://h/d?sslmode=require&password=a&sslpassword=b&pass%77ord=c&application_name=x#frag")
	if got, want := u.CredentialParams(), []string{"a", "b", "c"}; !slices.Equal(got, want) {
		t.Errorf("CredentialParams = %q, want %q", got, want)
	}
}

func TestURLs(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"nats://h:4222", "nats://h:4222"},
		{"nats://u:pw@h:4222", "nats://REDACTED@h:4222"},
		{"nats://token@h:4222", "nats://REDACTED@h:4222"},
		{"nats://u:pw@a:4222, nats://b:4222", "nats://REDACTED@a:4222,nats://b:4222"},
		{"tok@h:4222", "REDACTED"},
		{"h:4222", "h:4222"},
		{"postgresql://h/d?sslmode=disable&password=pw", "postgresql://h/d?password=REDACTED&sslmode=disable"},
		{"postgresql://u:2024/secret@h/d", "REDACTED"},
		{"postgresql://u:p?w@h/d", "REDACTED"},
	}
	for _, tt := range tests {
		if got := URLs(tt.in); got != tt.want {
			t.Errorf("URLs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNATSServers(t *testing.T) {
	got := NATSServers(" tok@a:4222, ,nats://b:4222,tls://c")
	if want := []string{"nats://tok@a:4222", "nats://b:4222", "tls://c"}; !slices.Equal(got, want) {
		t.Errorf("NATSServers = %q, want %q", got, want)
	}
	if got := NATSServers(""); got != nil {
		t.Errorf("NATSServers(\"\") = %q", got)
	}
}
