package decode

import (
	"errors"
	"fmt"
	"strings"
)

// ErrUnknownEncoding is a text encoding name Text does not know.
var ErrUnknownEncoding = errors.New("decode: unknown text encoding")

// Reasons a file's layers cannot be read. They come wrapped in a
// *FileError naming the file; match them with errors.Is.
var (
	// ErrUnknownCompression is a compression setting Walk does not know.
	ErrUnknownCompression = errors.New("unknown compression")
	// ErrCorrupt is a compressed stream or an archive that is not what its
	// name or first bytes say, or is damaged or cut short.
	ErrCorrupt = errors.New("corrupt")
	// ErrUnsupported is a valid file that uses a feature Walk does not read
	// (an encrypted zip member, a zip compression method it lacks).
	ErrUnsupported = errors.New("unsupported")
	// ErrPGPNotConfigured is a PGP file in a pipeline without pgp settings.
	ErrPGPNotConfigured = errors.New("the file is encrypted with PGP and the pipeline has no pgp private_key")
	// ErrPGPKey is a pgp setting that holds no usable armored key.
	ErrPGPKey = errors.New("pgp key")
	// ErrPGPPassphrase is a private key the passphrase does not unlock.
	ErrPGPPassphrase = errors.New("pgp passphrase does not unlock the private key")
	// ErrPGPWrongKey is a message that is not encrypted to the configured
	// private key.
	ErrPGPWrongKey = errors.New("the file is not encrypted to the configured pgp private_key")
	// ErrPGPCorrupt is a PGP message that cannot be parsed.
	ErrPGPCorrupt = errors.New("corrupt PGP message")
	// ErrPGPIntegrity is a message whose integrity check (MDC or AEAD tag)
	// fails: it was tampered with or damaged.
	ErrPGPIntegrity = errors.New("PGP integrity check failed: the file was modified or damaged")
	// ErrPGPUnsigned is a file without a signature in a pipeline with
	// trusted_signers.
	ErrPGPUnsigned = errors.New("the file is not signed and pgp trusted_signers requires a signature")
	// ErrPGPUntrusted is a signature by a key not among trusted_signers.
	ErrPGPUntrusted = errors.New("the file is signed by a key that is not among pgp trusted_signers")
	// ErrPGPBadSignature is a signature that does not verify.
	ErrPGPBadSignature = errors.New("bad PGP signature")
)

// FileError is a file whose layers cannot be read: a corrupt compressed
// stream or archive, a PGP message that cannot be decrypted or verified. It
// is permanent: the same bytes fail the same way.
type FileError struct {
	// File is the file or archive member at fault, as in Leaf.Path.
	File string
	Err  error
}

func (e *FileError) Error() string { return e.File + ": " + e.Err.Error() }

func (e *FileError) Unwrap() error { return e.Err }

// LimitError is a file that expands past one of its Limits: a compression
// bomb, or a file too large for the caps. It is permanent.
type LimitError struct {
	// File is the file or archive member that went over, as in Leaf.Path.
	File string
	// Limit names the cap, as the key of the limits: block in
	// pipeline.yaml: "max_decompressed_bytes", "max_ratio",
	// "max_members", "max_spool_bytes".
	Limit string
	// Max is the cap's value.
	Max int64
	// Detail says what went over, for the message.
	Detail string
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%s: over the %s limit of %s: %s", e.File, e.Limit, e.maxText(), e.Detail)
}

func (e *LimitError) maxText() string {
	switch e.Limit {
	case "max_decompressed_bytes", "max_spool_bytes":
		return sizeText(e.Max)
	}
	return fmt.Sprint(e.Max)
}

// IsPermanent reports whether err means the file's bytes cannot be read
// through their layers whatever the retries (a *FileError, *LimitError or
// *EncodingError), as opposed to a storage error or a cancelled context.
func IsPermanent(err error) bool {
	var fe *FileError
	var le *LimitError
	var ee *EncodingError
	return errors.As(err, &fe) || errors.As(err, &le) || errors.As(err, &ee)
}

// EncodingError is text with a byte that is not valid in its encoding
// (see Text): the file cannot be read without changing a character. It is
// permanent.
type EncodingError struct {
	// Encoding is the name of the encoding the text was read in.
	Encoding string
	// Line is the line of the first bad byte, from 1; Offset its offset in
	// the text (the file's bytes under the text layer, its BOM included),
	// from 0.
	Line   int64
	Offset int64
	// Bytes are the first bad byte, or the bytes of the bad sequence.
	Bytes []byte
	// Wide is set for text read as UTF-8 that starts like UTF-16 or UTF-32
	// without a BOM: the encoding it looks like.
	Wide string
	// Auto is what encoding auto decided, when it did.
	Auto *Detection
	// Hint is the encoding the text from the bad byte's line on looks
	// like (see Detect), if any.
	Hint *Detection
}

func (e *EncodingError) Error() string {
	if e.Wide != "" {
		return e.Reason()
	}
	return fmt.Sprintf("line %d, %s", e.Line, e.Reason())
}

// Reason is Error without the line, for messages that give the line apart.
func (e *EncodingError) Reason() string {
	var b strings.Builder
	if e.Wide != "" {
		fmt.Fprintf(&b, "the text looks like %s without a byte order mark (zero bytes beside its ASCII characters): set encoding: %s, or encoding: auto", strings.ToUpper(e.Wide), e.Wide)
		return b.String()
	}
	fmt.Fprintf(&b, "offset %d: ", e.Offset)
	if len(e.Bytes) == 1 {
		fmt.Fprintf(&b, "byte 0x%02X is not valid %s", e.Bytes[0], e.Encoding)
	} else {
		b.WriteString("bytes")
		for _, c := range e.Bytes {
			fmt.Fprintf(&b, " 0x%02X", c)
		}
		fmt.Fprintf(&b, " are not valid %s", e.Encoding)
	}
	switch {
	case e.Auto != nil && e.Auto.Encoding == "":
		b.WriteString(", and no encoding that encoding: auto knows decodes the text from there")
	case e.Auto != nil:
		fmt.Fprintf(&b, ", the encoding that encoding: auto took the text for at line %d (confidence %.2f)", e.Auto.Line, e.Auto.Confidence)
	}
	if e.Hint != nil {
		fmt.Fprintf(&b, "; the text there looks like %s (confidence %.2f): set encoding: %s", e.Hint.Encoding, e.Hint.Confidence, e.Hint.Encoding)
		if e.Auto == nil {
			b.WriteString(", or encoding: auto")
		}
		return b.String()
	}
	b.WriteString("; set encoding: to the file's encoding")
	if e.Auto == nil {
		b.WriteString(", or encoding: auto")
	}
	return b.String()
}

// sizeText writes n bytes for people: "64 GiB", "1.5 MiB", "512 B".
func sizeText(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	v := float64(n) / float64(div)
	if v == float64(int64(v)) {
		return fmt.Sprintf("%d %ciB", int64(v), "KMGTPE"[exp])
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[exp])
}
