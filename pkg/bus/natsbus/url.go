package natsbus

import (
	"fmt"
	"net/url"
	"strings"
)

// checkURLs checks that every URL of a comma-separated list parses as the
// NATS client will parse it, without quoting any: a URL may hold a
// password.
func checkURLs(list string) error {
	urls := strings.Split(list, ",")
	for i, u := range urls {
		u = strings.TrimSpace(u)
		if u == "" {
			continue
		}
		if !strings.Contains(u, "://") {
			u = "nats://" + u
		}
		if _, err := url.Parse(u); err != nil {
			return fmt.Errorf("%w: server URL %d of %d does not parse (it is not shown: it may hold a password)", ErrInvalidOptions, i+1, len(urls))
		}
	}
	return nil
}
