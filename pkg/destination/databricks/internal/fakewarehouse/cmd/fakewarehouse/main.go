// Command fakewarehouse serves a fake Databricks workspace (package
// fakewarehouse) on a loopback port, for end-to-end tests that run the
// filedge binary against it (the destination's endpoint setting). It
// accepts the token in FAKEWAREHOUSE_TOKEN, serves SQL on the HTTP path
// -http-path, prints "listening http://127.0.0.1:PORT" on its standard
// output once it accepts connections, and runs until it is signalled.
package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/filedge/filedge/pkg/destination/databricks/internal/fakewarehouse"
)

func main() {
	httpPath := flag.String("http-path", "/sql/1.0/warehouses/fake", "the SQL warehouse's HTTP path")
	flag.Parse()
	token := os.Getenv("FAKEWAREHOUSE_TOKEN")
	if token == "" {
		fmt.Fprintln(os.Stderr, "fakewarehouse: set FAKEWAREHOUSE_TOKEN")
		os.Exit(2)
	}
	if err := run(token, *httpPath); err != nil {
		fmt.Fprintln(os.Stderr, "fakewarehouse:", err)
		os.Exit(1)
	}
}

func run(token, httpPath string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fake, err := fakewarehouse.New(token, httpPath)
	if err != nil {
		return err
	}
	defer fake.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fake}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Printf("listening http://%s\n", ln.Addr())
	select {
	case <-ctx.Done():
		return srv.Close()
	case err := <-errc:
		return err
	}
}
