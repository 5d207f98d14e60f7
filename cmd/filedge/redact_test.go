package main

import (
	"strings"
	"testing"

	"github.com/filedge/filedge/pkg/config"
)

func TestRedactorRemovesThePipelinesCredentials(t *testing.T) {
	p := &config.Pipeline{
		Destinations: []config.Destination{{URL: config.Secret("postgres://u:Pa55word@db:5432/x")}},
		Bus:          config.Bus{URL: "nats://a:n4tspw@h1:4222, nats://b:0th3rpw@h2:4222"},
	}
	msg := redactor(p)("connect postgres://u:Pa55word@db:5432/x: password Pa55word refused; nats n4tspw; 0th3rpw; 0th3rpw")
	for _, secret := range []string{"Pa55word", "n4tspw", "0th3rpw"} {
		if strings.Contains(msg, secret) {
			t.Errorf("%q survives: %s", secret, msg)
		}
	}
	if !strings.Contains(msg, "refused") {
		t.Errorf("the rest of the message is gone: %s", msg)
	}
}
