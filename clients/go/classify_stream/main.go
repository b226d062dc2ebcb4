// Command classify_stream streams a file of documents to classifyd and
// prints the labels of each.
//
//	classify_stream [-addr HOST:PORT] [-text-lines] [-batch N] [-linger D] [-plugin NAME,...] [-language TAG] [FILE]
//
// Each input line is one document: a JSON object {"id": "...", "text":
// "..."} (JSON Lines), or, if it does not start with "{" or with
// -text-lines, the text itself (its id is then the line number). Reads
// standard input when FILE is "-" or missing.
//
// Prints exactly one JSON line per input line, in input order, in the same
// format as the Python and Node examples. Exit status: 0 if every document
// was classified, 1 if some had an error, 3 if the stream itself failed.
//
// All documents go over one ClassifyBatchStream call: lines read within
// -linger of each other (up to -batch) go as one message (see sendBatches),
// so the server classifies them as one batch. The server answers in request
// order, so goroutines read and send while the main one receives, and a
// channel of per-line entries pairs each answer with its line.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	classifydv1 "classifyd/api/v1"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
)

type label struct {
	Name   string  `json:"name"`
	Score  float64 `json:"score"`
	Plugin string  `json:"plugin"`
	// Only when set: the best guess under the server's min_score.
	LowConfidence bool `json:"low_confidence,omitempty"`
}

type errorInfo struct {
	Code    int32  `json:"code"`
	Message string `json:"message"`
}

type output struct {
	ID     string     `json:"id"`
	Labels *[]label   `json:"labels,omitempty"` // Set, maybe empty, on success.
	Error  *errorInfo `json:"error,omitempty"`
}

// entry is one input line: either sent to the server (local == nil) or
// answered here because it was not a valid document.
type entry struct {
	local *output
}

// receipt is one message of answers from the server, or how receiving
// ended (io.EOF: the server finished the stream).
type receipt struct {
	results []*classifydv1.ClassifyResponse
	err     error
}

// parseLine turns one input line into a request, or says what is wrong.
// Bytes that are not UTF-8 become U+FFFD, as in the Python and Node
// examples: protobuf refuses to send a string that is not UTF-8.
func parseLine(line string, number int, textLines bool) (*classifydv1.ClassifyRequest, string) {
	line = strings.ToValidUTF8(strings.TrimRight(line, "\r\n"), "\uFFFD")
	if strings.TrimSpace(line) == "" {
		return nil, fmt.Sprintf("line %d: blank line", number)
	}
	if textLines || !strings.HasPrefix(strings.TrimSpace(line), "{") {
		return &classifydv1.ClassifyRequest{Id: strconv.Itoa(number), Text: line}, ""
	}
	var doc struct {
		ID   *json.RawMessage `json:"id"`
		Text *string          `json:"text"`
	}
	if err := json.Unmarshal([]byte(line), &doc); err != nil {
		return nil, fmt.Sprintf("line %d: invalid JSON: %v", number, err)
	}
	if doc.Text == nil {
		return nil, fmt.Sprintf(`line %d: expected an object with a string "text"`, number)
	}
	id := strconv.Itoa(number)
	if doc.ID != nil {
		var s string
		if json.Unmarshal(*doc.ID, &s) == nil {
			id = s
		} else {
			id = string(*doc.ID) // A number, as written.
		}
	}
	return &classifydv1.ClassifyRequest{Id: id, Text: *doc.Text}, ""
}

func toOutput(r *classifydv1.ClassifyResponse) *output {
	out := &output{ID: r.GetId()}
	if r.GetError().GetCode() != 0 {
		out.Error = &errorInfo{Code: r.GetError().GetCode(), Message: r.GetError().GetMessage()}
		return out
	}
	labels := []label{}
	for _, l := range r.GetLabels() {
		score, _ := strconv.ParseFloat(strconv.FormatFloat(float64(l.GetScore()), 'f', 6, 32), 64)
		labels = append(labels, label{Name: l.GetName(), Score: score, Plugin: l.GetPlugin(),
			LowConfidence: l.GetLowConfidence()})
	}
	out.Labels = &labels
	return out
}

// Most text bytes in one message, well under the server's default message
// limit (64 MiB), so that a run of long documents is split into messages
// rather than refused together.
const maxMessageTextBytes = 16 << 20

// Longest input line read; a longer one is answered with an error here.
const maxLineBytes = 16 << 20

// sendBatches sends the requests of `requests` on `stream` as
// ClassifyBatchRequest messages: the first of a message waits at most
// `linger` for others, and a message holds at most `maxBatch` documents and
// about maxMessageTextBytes of text. Returns when `requests` is closed and
// everything is sent, or a send fails.
func sendBatches(stream classifydv1.Classifier_ClassifyBatchStreamClient,
	requests <-chan *classifydv1.ClassifyRequest, maxBatch int, linger time.Duration) error {
	var next *classifydv1.ClassifyRequest // Starts the next message.
	for {
		first := next
		next = nil
		if first == nil {
			var ok bool
			if first, ok = <-requests; !ok {
				return nil
			}
		}
		batch := &classifydv1.ClassifyBatchRequest{Documents: []*classifydv1.ClassifyRequest{first}}
		textBytes := len(first.Text)
		timer := time.NewTimer(linger)
		closed := false
	collect:
		for len(batch.Documents) < maxBatch {
			select {
			case request, ok := <-requests:
				if !ok {
					closed = true
					break collect
				}
				if textBytes+len(request.Text) > maxMessageTextBytes {
					next = request
					break collect
				}
				textBytes += len(request.Text)
				batch.Documents = append(batch.Documents, request)
			case <-timer.C:
				break collect
			}
		}
		timer.Stop()
		if err := stream.Send(batch); err != nil {
			return err
		}
		if closed {
			return nil
		}
	}
}

// readLine returns the next line of `r` without its line end. A line over
// maxLineBytes is read to its end but not kept: tooLong is set instead.
// err is io.EOF once no line is left.
func readLine(r *bufio.Reader) (line string, tooLong bool, err error) {
	var kept []byte
	read := false
	for {
		chunk, err := r.ReadSlice('\n')
		read = read || len(chunk) > 0
		if tooLong || len(kept)+len(chunk) > maxLineBytes {
			tooLong, kept = true, nil
		} else {
			kept = append(kept, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && (err != io.EOF || !read) {
			return "", false, err
		}
		return strings.TrimRight(string(kept), "\r\n"), tooLong, nil
	}
}

func run() int {
	addr := flag.String("addr", envOr("CLASSIFYD_ADDR", "127.0.0.1:50051"), "the daemon's address")
	textLines := flag.Bool("text-lines", false, "every line is plain text, even if it looks like JSON")
	connectTimeout := flag.Duration("connect-timeout", 10*time.Second, "how long to wait for the daemon")
	maxBatch := flag.Int("batch", 64, "most documents per message")
	linger := flag.Duration("linger", time.Millisecond, "how long a line waits for others to share its message")
	pluginList := flag.String("plugin", "", "classifiers to run, separated by commas (default: every ready one)")
	language := flag.String("language", "", "the documents' language as a BCP 47 tag (en, zh-Hant), for lines that give none: the server then does not detect it")
	flag.Parse()
	var plugins []string
	for _, name := range strings.Split(*pluginList, ",") {
		if name != "" {
			plugins = append(plugins, name)
		}
	}
	if *maxBatch < 1 {
		*maxBatch = 1
	}

	input := io.Reader(os.Stdin)
	if name := flag.Arg(0); name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			fmt.Fprintf(os.Stderr, "classify_stream: %v\n", err)
			return 3
		}
		defer f.Close()
		input = f
	}

	dialCtx, cancelDial := context.WithTimeout(context.Background(), *connectTimeout)
	defer cancelDial()
	conn, err := grpc.DialContext(dialCtx, *addr, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		fmt.Fprintf(os.Stderr, "classify_stream: cannot connect to %s: %v\n", *addr, err)
		return 3
	}
	defer conn.Close()

	// No deadline: a stream lasts as long as the file does.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := classifydv1.NewClassifierClient(conn).ClassifyBatchStream(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "classify_stream: %v\n", err)
		return 3
	}

	// One entry per input line, in order. The buffer only bounds how far
	// the sender runs ahead; gRPC flow control bounds the rest.
	entries := make(chan entry, 1024)
	requests := make(chan *classifydv1.ClassifyRequest, *maxBatch)
	sendErr := make(chan error, 1)
	go func() {
		err := sendBatches(stream, requests, *maxBatch, *linger)
		for range requests {
			// A send failed: drain, the receive side sees the stream's status.
		}
		if err == nil {
			err = stream.CloseSend()
		}
		sendErr <- err
	}()
	go func() {
		defer close(entries)
		defer close(requests)
		reader := bufio.NewReaderSize(input, 64*1024)
		for number := 1; ; number++ {
			line, tooLong, err := readLine(reader)
			if err == io.EOF {
				return
			}
			if err != nil {
				fmt.Fprintf(os.Stderr, "classify_stream: %v\n", err)
				cancel()
				return
			}
			if tooLong {
				entries <- entry{local: &output{ID: strconv.Itoa(number),
					Error: &errorInfo{Code: int32(codes.ResourceExhausted),
						Message: fmt.Sprintf("line %d is over %d bytes", number, maxLineBytes)}}}
				continue
			}
			request, problem := parseLine(line, number, *textLines)
			if request == nil {
				entries <- entry{local: &output{ID: strconv.Itoa(number),
					Error: &errorInfo{Code: int32(codes.InvalidArgument), Message: problem}}}
				continue
			}
			entries <- entry{}
			request.Plugins = plugins
			if request.Language == "" {
				request.Language = *language
			}
			requests <- request
		}
	}()

	// Every Recv happens here, so that a stream the server ends while the
	// input is quiet is seen at once, not when the next line comes.
	received := make(chan receipt, 16)
	go func() {
		defer close(received)
		for {
			message, err := stream.Recv()
			if err != nil {
				received <- receipt{err: err}
				return
			}
			received <- receipt{results: message.GetResults()}
		}
	}()

	writer := bufio.NewWriter(os.Stdout)
	defer writer.Flush()
	encoder := json.NewEncoder(writer)
	encoder.SetEscapeHTML(false)
	failed := func(err error) int {
		writer.Flush()
		if err == io.EOF {
			err = fmt.Errorf("the server ended the stream before the input")
		}
		fmt.Fprintf(os.Stderr, "classify_stream: stream failed: %v\n", err)
		return 3
	}
	errors := 0
	var answers []*classifydv1.ClassifyResponse // Received, not yet printed.
	var ended error                             // How receiving ended, once it has.
	take := func(r receipt) {
		if r.err != nil {
			ended = r.err
		} else {
			answers = append(answers, r.results...)
		}
	}
	idle := received // Watched between lines; nil once receiving ended.
	for entriesOpen := true; entriesOpen; {
		select {
		case e, ok := <-entries:
			if !ok {
				entriesOpen = false
				break
			}
			if e.local != nil {
				errors++
				encoder.Encode(e.local)
				break
			}
			for len(answers) == 0 && ended == nil {
				take(<-received)
			}
			if len(answers) == 0 {
				return failed(ended)
			}
			out := toOutput(answers[0])
			answers = answers[1:]
			if out.Error != nil {
				errors++
			}
			encoder.Encode(out)
			// Flushed when no answer waits, so that a reader of a live
			// feed sees each line at once; otherwise bufio batches.
			if len(answers) == 0 && len(received) == 0 {
				writer.Flush()
			}
		case r, ok := <-idle:
			if !ok {
				idle = nil
				break
			}
			take(r)
			if ended != nil {
				idle = nil
				// A clean end (io.EOF) follows the end of the input, which
				// the entries show in turn; any other end means nothing
				// still to be sent can be answered.
				if ended != io.EOF && len(answers) == 0 {
					return failed(ended)
				}
			}
		}
	}
	if err := <-sendErr; err != nil && err != io.EOF {
		writer.Flush()
		fmt.Fprintf(os.Stderr, "classify_stream: %v\n", err)
		return 3
	}
	// The server ends the stream after the last answer.
	for ended == nil {
		take(<-received)
	}
	if ended != io.EOF || len(answers) > 0 {
		writer.Flush()
		fmt.Fprintf(os.Stderr, "classify_stream: stream did not end cleanly: %v\n", ended)
		return 3
	}
	if errors > 0 {
		return 1
	}
	return 0
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}

func main() {
	os.Exit(run())
}
