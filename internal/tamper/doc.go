// Package tamper protects the medshield agent against being stopped,
// uninstalled or altered by a local user or by malware.
//
// It provides three independent pieces:
//
//   - Unlock codes (code.go): short, expiring, single-action codes that the
//     server issues with a per-agent secret (NewCode) and the agent checks
//     offline (Verify, or a Verifier that also refuses replays and slows down
//     guessing). The agent refuses to stop or uninstall without one.
//   - File protection (perms*.go, immutable*.go): the state directory and
//     the agent binary are checked for loose permissions and wrong owners and
//     repaired; on Linux the binary can be made immutable (FS_IMMUTABLE_FL).
//     On Windows the equivalent is a protected DACL (perms_windows.go).
//   - A watcher (watch.go) that reports changes to files in the state
//     directory as Attempt values through a callback.
//
// What it does not do: it cannot stop a determined local administrator (root
// can read the secret, clear the immutable flag and kill the agent); it
// raises the bar and makes every attempt visible. It sends nothing itself:
// the agent turns Attempts into alerts. Any package may import it; it
// imports the standard library, x/sys, fsnotify and internal/event.
package tamper
