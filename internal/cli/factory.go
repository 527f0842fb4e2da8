package cli

import (
	"context"
	"io"
	"log/slog"
	"os"

	"github.com/mattn/go-isatty"

	"github.com/qgraph/qgraph/internal/store"
	"github.com/qgraph/qgraph/internal/store/backend"
)

// IOStreams are the streams a command reads and writes.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// OutTTY and ErrTTY report whether Out and ErrOut are terminals.
	OutTTY bool
	ErrTTY bool
}

// SystemIO returns the process's standard streams.
func SystemIO() IOStreams {
	return IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		OutTTY: isatty.IsTerminal(os.Stdout.Fd()),
		ErrTTY: isatty.IsTerminal(os.Stderr.Fd()),
	}
}

// Factory carries what commands share: streams, the store DSN and a way to
// open the store.
type Factory struct {
	IO  IOStreams
	DSN string
	// Getenv reads the environment; tests replace it.
	Getenv func(string) string
}

// NewFactory returns a Factory over io, with the DSN defaulting to
// $QGRAPH_DB or ./qgraph.db.
func NewFactory(io IOStreams) *Factory {
	f := &Factory{IO: io, Getenv: os.Getenv}
	f.DSN = f.Getenv("QGRAPH_DB")
	if f.DSN == "" {
		f.DSN = backend.DefaultDSN
	}
	return f
}

// OpenStore opens the existing store named by the --db flag; an embedded
// store file that does not exist is an error, so a mistyped path never reads
// as an empty graph.
func (f *Factory) OpenStore(ctx context.Context) (store.Store, error) {
	return backend.Open(ctx, f.DSN, backend.Options{Logger: f.Logger(), MustExist: true})
}

// CreateStore opens the store named by the --db flag, creating it when it
// does not exist yet. Commands that write a graph (sync, upload, demo) use it.
func (f *Factory) CreateStore(ctx context.Context) (store.Store, error) {
	return backend.Open(ctx, f.DSN, backend.Options{Logger: f.Logger()})
}

// Logger returns the logger commands use: text to ErrOut.
func (f *Factory) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
