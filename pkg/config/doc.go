// Package config reads pipeline.yaml: its types, defaults, validation (every
// problem reported with its YAML line), ${VAR} expansion and the rule that
// credentials come only from the environment.
package config
