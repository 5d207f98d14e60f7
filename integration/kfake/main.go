// Command kfake runs franz-go's in-memory Kafka cluster (kfake) in its own
// process, for the integration tests: the filedge stages, separate
// processes that the tests SIGKILL and restart, talk to it over TCP like
// to a Kafka cluster. It prints "listening on <addr>[,<addr>...]" on its
// first line of standard output, then serves until SIGINT or SIGTERM.
//
//	go run ./integration/kfake -brokers 1 -port 0
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

func main() {
	brokers := flag.Int("brokers", 1, "brokers in the cluster")
	port := flag.Int("port", 0, "port of the first broker, the next ones on the following ports (0: free ports)")
	minSession := flag.Duration("min-session-timeout", 6*time.Second, "the cluster's group.min.session.timeout.ms")
	flag.Parse()
	opts := []kfake.Opt{kfake.NumBrokers(*brokers), kfake.GroupMinSessionTimeout(*minSession)}
	if *port > 0 {
		ports := make([]int, *brokers)
		for i := range ports {
			ports[i] = *port + i
		}
		opts = append(opts, kfake.Ports(ports...))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "kfake:", err)
		os.Exit(1)
	}
	fmt.Println("listening on " + strings.Join(c.ListenAddrs(), ","))
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	<-sig
	c.Close()
}
