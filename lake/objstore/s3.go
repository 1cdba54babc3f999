package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/wharfdata/wharf/internal/errkind"
)

// s3Store keeps objects under prefix in one bucket. Every error it returns is
// classified with errkind and has the secrets of its config redacted.
type s3Store struct {
	client *s3.Client
	cfg    S3Config
	bucket string
	prefix string // "" or ending in "/"
}

// createRetries bounds how often CreateIfAbsent starts over when the object
// that beat it vanishes before it can be read, or when S3 reports a concurrent
// conditional write (409): both mean "try again", not "failed".
const createRetries = 5

// NewS3 returns a store of the objects under prefix in bucket. With
// cfg.Endpoint set (MinIO and other S3-compatible servers) buckets are
// addressed path-style. It checks that the bucket is reachable, so a wrong
// name or credentials fail here with a clear error.
//
// CreateIfAbsent is a conditional PutObject (If-None-Match: *), so the server
// must support conditional writes (AWS S3 since 2024, recent MinIO).
func NewS3(ctx context.Context, cfg S3Config, bucket, prefix string) (Store, error) {
	awsCfg, err := cfg.AWSConfig(ctx)
	if err != nil {
		return nil, err
	}
	return newS3(ctx, awsCfg, cfg, bucket, prefix)
}

// validBucket is the S3 bucket naming rule (without the IP-address and
// reserved-suffix special cases, which the server checks).
var validBucket = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

func newS3(ctx context.Context, awsCfg aws.Config, cfg S3Config, bucket, prefix string) (Store, error) {
	if !validBucket.MatchString(bucket) {
		return nil, errkind.Errorf(errkind.Fatal, "objstore: invalid S3 bucket name %.70q", bucket)
	}
	prefix = strings.TrimSuffix(prefix, "/")
	if prefix != "" {
		if err := ValidateKey(prefix); err != nil {
			return nil, fmt.Errorf("objstore: S3 prefix: %w", err)
		}
		prefix += "/"
	}
	s := &s3Store{
		client: s3.NewFromConfig(awsCfg, func(o *s3.Options) {
			o.UsePathStyle = cfg.PathStyle || cfg.Endpoint != ""
		}),
		cfg:    cfg,
		bucket: bucket,
		prefix: prefix,
	}
	if _, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &s.bucket}); err != nil {
		// HEAD responses have no body, so a missing bucket is a bare 404.
		if statusOf(err) == http.StatusNotFound {
			return nil, s.wrap(errkind.Fatal, "open", "", err, fmt.Sprintf("bucket %q does not exist at %v", bucket, cfg))
		}
		return nil, s.classify("open", "", err, false)
	}
	return s, nil
}

func (s *s3Store) String() string { return "s3://" + s.bucket + "/" + s.prefix }

func (s *s3Store) Get(ctx context.Context, key string) ([]byte, error) {
	if err := ValidateKey(key); err != nil {
		return nil, err
	}
	return s.get(ctx, "get", key)
}

func (s *s3Store) get(ctx context.Context, op, key string) ([]byte, error) {
	out, err := s.client.GetObject(ctx, &s3.GetObjectInput{Bucket: &s.bucket, Key: aws.String(s.prefix + key)})
	if err != nil {
		if codeOf(err) == "NoSuchKey" {
			return nil, notExist(op, key)
		}
		return nil, s.classify(op, key, err, false)
	}
	defer out.Body.Close()
	data, err := io.ReadAll(out.Body)
	if err != nil {
		// The body broke off (reset, timeout): reading again is safe.
		return nil, s.wrap(errkind.Retryable, op, key, err, "reading the object broke off")
	}
	return data, nil
}

func (s *s3Store) Put(ctx context.Context, key string, data []byte) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	_, err := s.client.PutObject(ctx, s.putInput(key, data))
	// A plain Put overwrites, so repeating it is safe even when an earlier
	// attempt might have landed: its errors are never Ambiguous.
	return s.classify("put", key, err, false)
}

func (s *s3Store) CreateIfAbsent(ctx context.Context, key string, data []byte) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	// unsure is set once any attempt (the SDK's retries included) may have
	// written the object without us seeing the answer.
	var unsure bool
	for try := 1; ; try++ {
		in := s.putInput(key, data)
		in.IfNoneMatch = aws.String("*")
		var t attemptTracker
		_, err := s.client.PutObject(ctx, in, s3.WithAPIOptions(t.register))
		unsure = unsure || t.unsure
		switch {
		case err == nil:
			return nil
		case statusOf(err) == http.StatusConflict && try < createRetries:
			continue // a concurrent conditional write to the key: ask again
		case statusOf(err) != http.StatusPreconditionFailed:
			return s.classify("create", key, err, unsure)
		}
		existing, err := s.get(ctx, "create", key)
		if errors.Is(err, ErrNotExist) {
			if try < createRetries {
				continue // deleted since our write was refused: try to take it
			}
			kind := errkind.Retryable
			if unsure {
				kind = errkind.Ambiguous
			}
			return errkind.Errorf(kind, "objstore: create %s%s: the object vanished %d times between a refused create and reading it", s, key, createRetries)
		}
		if err != nil {
			if unsure {
				return s.wrap(errkind.Ambiguous, "create", key, err, hintUnsure)
			}
			return err
		}
		// Our own earlier attempt may be the one that took the key.
		if unsure && bytes.Equal(existing, data) {
			return nil
		}
		return &ExistsError{Key: key, Existing: existing}
	}
}

func (s *s3Store) Delete(ctx context.Context, key string) error {
	if err := ValidateKey(key); err != nil {
		return err
	}
	full := aws.String(s.prefix + key)
	// S3 deletes a missing key without complaint; the contract reports it.
	// Two racing deletes may then both succeed, which is harmless.
	if _, err := s.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &s.bucket, Key: full}); err != nil {
		if statusOf(err) == http.StatusNotFound {
			return notExist("delete", key)
		}
		return s.classify("delete", key, err, false)
	}
	var t attemptTracker
	_, err := s.client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &s.bucket, Key: full}, s3.WithAPIOptions(t.register))
	return s.classify("delete", key, err, t.unsure)
}

func (s *s3Store) List(ctx context.Context, prefix string) ([]ObjectInfo, error) {
	if err := ValidatePrefix(prefix); err != nil {
		return nil, err
	}
	var out []ObjectInfo
	pages := s3.NewListObjectsV2Paginator(s.client, &s3.ListObjectsV2Input{
		Bucket: &s.bucket,
		Prefix: aws.String(s.prefix + prefix),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, s.classify("list", prefix, err, false)
		}
		for _, o := range page.Contents {
			out = append(out, ObjectInfo{
				Key:     strings.TrimPrefix(aws.ToString(o.Key), s.prefix),
				Size:    aws.ToInt64(o.Size),
				ModTime: aws.ToTime(o.LastModified),
			})
		}
	}
	// S3 lists in UTF-8 byte order already; not every compatible server does.
	sortInfos(out)
	return out, nil
}

func (s *s3Store) putInput(key string, data []byte) *s3.PutObjectInput {
	return &s3.PutObjectInput{
		Bucket:        &s.bucket,
		Key:           aws.String(s.prefix + key),
		Body:          bytes.NewReader(data),
		ContentLength: aws.Int64(int64(len(data))),
	}
}
