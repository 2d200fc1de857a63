// tlogcheck: the independent checker of seclabel's transparency log. It uses only Go's
// golang.org/x/mod/sumdb/note and sumdb/tlog (Debian's golang-golang-x-mod-dev), the reference
// implementation of C2SP signed-note, tlog-checkpoint and tlog-tiles, and no seclabel code.
//
// Built by the tests in GOPATH mode (no module download):
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o DIR/tlogcheck ./tests/tools/tlogcheck
//
// Subcommands (exit 0: checked; 1: the check failed, with the reason on stderr; 2: usage):
//
//	tlogcheck genkey NAME             a new key pair (note.GenerateKey): the private key on
//	                                  the first line, the verifier key on the second
//	tlogcheck sign KEYFILE            sign the note text on stdin with the private key in
//	                                  KEYFILE (note.Sign); the signed note on stdout
//	tlogcheck open VKEY               open the signed note on stdin with the verifier key
//	                                  (note.Open); its text on stdout
//	tlogcheck checkpoint VKEY         open the signed checkpoint on stdin and parse it (C2SP
//	                                  tlog-checkpoint, origin = the key's name): "SIZE ROOT"
//	tlogcheck tiles [-old FILE] [-entries] URL VKEY
//	                                  fetch URL/log/checkpoint, verify it, read the hash tiles
//	                                  (URL/log/tile/<L>/<N>[.p/<W>]) through tlog.TileHashReader,
//	                                  check the root, read every entry bundle and prove each
//	                                  entry's inclusion (tlog.ProveRecord, CheckRecord); with
//	                                  -old, prove the checkpoint in FILE consistent with it
//	                                  (tlog.ProveTree, CheckTree); with -entries, print each
//	                                  entry as "INDEX BASE64" lines
package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const tileHeight = 8 // C2SP tlog-tiles: 256 hashes per full tile

func fail(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "tlogcheck: "+format+"\n", args...)
	os.Exit(1)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: tlogcheck genkey NAME | sign KEYFILE | open VKEY | checkpoint VKEY | tiles [-old FILE] [-entries] URL VKEY")
	os.Exit(2)
}

func stdin() []byte {
	b, err := io.ReadAll(os.Stdin)
	if err != nil {
		fail("reading stdin: %v", err)
	}
	return b
}

// openNote opens msg with the one verifier key vkey.
func openNote(msg []byte, vkey string) (*note.Note, note.Verifier) {
	v, err := note.NewVerifier(strings.TrimSpace(vkey))
	if err != nil {
		fail("verifier key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("note: %v", err)
	}
	return n, v
}

// parseCheckpoint parses a C2SP checkpoint body whose origin must be origin. Go's tree note
// is the same format with the origin "go.sum database tree", so tlog.ParseTree parses the rest
// (size without leading zeroes, 32-byte base64 root, extension lines ignored).
func parseCheckpoint(text, origin string) tlog.Tree {
	first, rest, ok := strings.Cut(text, "\n")
	if !ok || first != origin {
		fail("checkpoint: origin line %q, want %q", first, origin)
	}
	tree, err := tlog.ParseTree([]byte("go.sum database tree\n" + rest))
	if err != nil {
		fail("checkpoint: %v", err)
	}
	// RFC 6962's hash of the empty tree is SHA-256 of nothing; sumdb/tlog has no empty tree.
	if tree.N == 0 && tree.Hash != tlog.Hash(sha256.Sum256(nil)) {
		fail("checkpoint: size 0 with root %v, want SHA-256(\"\")", tree.Hash)
	}
	return tree
}

func openCheckpoint(msg []byte, vkey string) tlog.Tree {
	n, v := openNote(msg, vkey)
	return parseCheckpoint(n.Text, v.Name())
}

// c2spPath is a tile's C2SP path: Go's tile paths carry the height ("tile/8/L/N"), C2SP's
// do not ("tile/L/N"), and entry bundles are "tile/entries/N" where Go has "tile/8/data/N".
func c2spPath(t tlog.Tile) string {
	p := t.Path() // tile/8/<L or data>/<N>[.p/<W>]
	rest := strings.TrimPrefix(p, fmt.Sprintf("tile/%d/", t.H))
	if strings.HasPrefix(rest, "data/") {
		rest = "entries/" + strings.TrimPrefix(rest, "data/")
	}
	return "tile/" + rest
}

var client = &http.Client{Timeout: 30 * time.Second}

func get(url string) []byte {
	resp, err := client.Get(url)
	if err != nil {
		fail("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		fail("GET %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		fail("GET %s: %s", url, resp.Status)
	}
	return b
}

// tileReader reads hash tiles over HTTP, once each (TileHashReader asks again for every proof).
type tileReader struct {
	prefix string
	mu     sync.Mutex
	cache  map[tlog.Tile][]byte
	reads  int
}

func (r *tileReader) Height() int { return tileHeight }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		if b, ok := r.cache[t]; ok {
			out[i] = b
			continue
		}
		b := get(r.prefix + "/" + c2spPath(t))
		r.reads++
		if len(b) != t.W*tlog.HashSize {
			return nil, fmt.Errorf("%s: %d bytes, want %d", c2spPath(t), len(b), t.W*tlog.HashSize)
		}
		r.cache[t] = b
		out[i] = b
	}
	return out, nil
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// bundle splits an entry bundle into its entries (big-endian uint16 length, then the bytes).
func bundle(b []byte, want int) ([][]byte, error) {
	var out [][]byte
	for len(b) > 0 {
		if len(b) < 2 {
			return nil, errors.New("entry bundle ends inside a length")
		}
		n := int(binary.BigEndian.Uint16(b))
		if len(b) < 2+n {
			return nil, errors.New("entry bundle ends inside an entry")
		}
		out = append(out, b[2:2+n])
		b = b[2+n:]
	}
	if len(out) != want {
		return nil, fmt.Errorf("entry bundle holds %d entries, want %d", len(out), want)
	}
	return out, nil
}

func tiles(args []string) {
	fs := flag.NewFlagSet("tiles", flag.ExitOnError)
	oldFile := fs.String("old", "", "a signed checkpoint seen before, to prove consistent")
	printEntries := fs.Bool("entries", false, "print every entry as INDEX BASE64")
	fs.Parse(args)
	if fs.NArg() != 2 {
		usage()
	}
	prefix := strings.TrimRight(fs.Arg(0), "/") + "/log"
	vkey := fs.Arg(1)
	tree := openCheckpoint(get(prefix+"/checkpoint"), vkey)
	if tree.N == 0 {
		fmt.Printf("ok: size 0, no entries\n")
		return
	}
	tr := &tileReader{prefix: prefix, cache: map[tlog.Tile][]byte{}}
	hr := tlog.TileHashReader(tree, tr)
	root, err := tlog.TreeHash(tree.N, hr)
	if err != nil || root != tree.Hash {
		fail("tree hash of size %d: %v (got %v, checkpoint says %v)", tree.N, err, root, tree.Hash)
	}
	for k := int64(0); k*256 < tree.N; k++ {
		w := tree.N - k*256
		if w > 256 {
			w = 256
		}
		t := tlog.Tile{H: tileHeight, L: -1, N: k, W: int(w)}
		entries, err := bundle(get(prefix+"/"+c2spPath(t)), int(w))
		if err != nil {
			fail("%s: %v", c2spPath(t), err)
		}
		for j, e := range entries {
			i := k*256 + int64(j)
			p, err := tlog.ProveRecord(tree.N, i, hr)
			if err != nil {
				fail("proof of entry %d: %v", i, err)
			}
			if err := tlog.CheckRecord(p, tree.N, tree.Hash, i, tlog.RecordHash(e)); err != nil {
				fail("entry %d is not in the tree: %v", i, err)
			}
			if *printEntries {
				fmt.Printf("%d %s\n", i, base64.StdEncoding.EncodeToString(e))
			}
		}
	}
	msg := fmt.Sprintf("ok: size %d, root %v, %d entries included (%d hash tiles read)", tree.N, tree.Hash, tree.N, tr.reads)
	if *oldFile != "" {
		b, err := os.ReadFile(*oldFile)
		if err != nil {
			fail("%v", err)
		}
		old := openCheckpoint(b, vkey)
		if old.N > tree.N {
			fail("the old checkpoint (size %d) is larger than the new (size %d): a rollback", old.N, tree.N)
		}
		if old.N == 0 {
			msg += "; consistent with size 0"
		} else {
			p, err := tlog.ProveTree(tree.N, old.N, hr)
			if err != nil {
				fail("consistency proof %d -> %d: %v", old.N, tree.N, err)
			}
			if err := tlog.CheckTree(p, tree.N, tree.Hash, old.N, old.Hash); err != nil {
				fail("the checkpoint of size %d is not consistent with size %d: %v", tree.N, old.N, err)
			}
			msg += fmt.Sprintf("; consistent with size %d", old.N)
		}
	}
	if *printEntries {
		fmt.Fprintln(os.Stderr, msg)
	} else {
		fmt.Println(msg)
	}
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	args := os.Args[2:]
	switch os.Args[1] {
	case "genkey":
		if len(args) != 1 {
			usage()
		}
		skey, vkey, err := note.GenerateKey(rand.Reader, args[0])
		if err != nil {
			fail("%v", err)
		}
		fmt.Printf("%s\n%s\n", skey, vkey)
	case "sign":
		if len(args) != 1 {
			usage()
		}
		b, err := os.ReadFile(args[0])
		if err != nil {
			fail("%v", err)
		}
		s, err := note.NewSigner(string(bytes.TrimSpace(b)))
		if err != nil {
			fail("private key: %v", err)
		}
		msg, err := note.Sign(&note.Note{Text: string(stdin())}, s)
		if err != nil {
			fail("sign: %v", err)
		}
		os.Stdout.Write(msg)
	case "open":
		if len(args) != 1 {
			usage()
		}
		n, _ := openNote(stdin(), args[0])
		fmt.Print(n.Text)
	case "checkpoint":
		if len(args) != 1 {
			usage()
		}
		t := openCheckpoint(stdin(), args[0])
		fmt.Printf("%d %v\n", t.N, t.Hash)
	case "tiles":
		tiles(args)
	default:
		usage()
	}
}
