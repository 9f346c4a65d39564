// Command mobo is MagFlock's one binary: the server (`mobo serve`) and its
// command-line client.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// exitError carries a process exit code through cobra.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func main() {
	root := newRootCmd()
	local := &localPlatform{}
	err := root.ExecuteContext(context.WithValue(context.Background(), localKey{}, local))
	local.stop() // a platform booted for an offline command stops before exit, success or not
	if err != nil {
		code := 1
		var ee *exitError
		if errors.As(err, &ee) {
			code = ee.code
		}
		if err.Error() != "" {
			fmt.Fprintln(os.Stderr, "mobo:", err)
		}
		os.Exit(code)
	}
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "mobo",
		Short:         "MagFlock: PostgreSQL as a complete backend",
		Long:          "mobo turns PostgreSQL into a backend with REST, GraphQL, auth and realtime APIs compatible with Supabase's clients.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	addConfigFlags(root)
	root.PersistentFlags().Bool("json", false, "print JSON instead of tables")
	root.AddCommand(newServeCmd(), newStatusCmd(), newComponentsCmd(), newTopCmd(), newConfigCmd(), newVersionCmd(), newProjectCmd(), newDBCmd(), newKeysCmd(), newSentinelCmd(), newSLOCmd())
	return root
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print mobo's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), "mobo", versionString())
			return err
		},
	}
}
