// Copyright 2026 The secrets-store-integration Authors
// SPDX-License-Identifier: Apache-2.0

package chart_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common/types"
	"github.com/google/cel-go/common/types/ref"
	"github.com/google/cel-go/ext"
	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
)

// A stand-in for the API server's CEL authorizer library (k8s.io/apiserver/pkg/cel/library), with
// the calls the chart's admission policies make: authorizer.group(g).resource(r)
// [.subresource(s)][.namespace(ns)][.name(n)].check(verb).allowed(). It answers from a fixed list
// of rights, so that a test can evaluate a policy the way the API server does for a given user.

// right is one permission of the requesting user; an empty name allows every name.
type right struct {
	verb, group, resource, subresource, namespace, name string
}

var (
	authorizerType    = cel.OpaqueType("kubernetes.authorization.Authorizer")
	groupCheckType    = cel.OpaqueType("kubernetes.authorization.GroupCheck")
	resourceCheckType = cel.OpaqueType("kubernetes.authorization.ResourceCheck")
	decisionType      = cel.OpaqueType("kubernetes.authorization.Decision")
)

// authzVal is every value of the library: the attributes gathered so far, the user's rights and,
// for a decision, the answer.
type authzVal struct {
	typ     *types.Type
	rights  []right
	attrs   right
	allowed bool
}

func (v authzVal) ConvertToNative(reflect.Type) (any, error) {
	return nil, fmt.Errorf("%s cannot be converted", v.typ)
}

func (v authzVal) ConvertToType(t ref.Type) ref.Val {
	if t == types.TypeType {
		return v.typ
	}
	return types.NewErr("%s cannot be converted to %s", v.typ, t)
}
func (v authzVal) Equal(o ref.Val) ref.Val { return types.Bool(reflect.DeepEqual(v, o)) }
func (v authzVal) Type() ref.Type          { return v.typ }
func (v authzVal) Value() any              { return v }

// with returns v as typ with one attribute changed.
func with(typ *types.Type, set func(*right, string)) func(ref.Val, ref.Val) ref.Val {
	return func(recv, arg ref.Val) ref.Val {
		v, ok := recv.(authzVal)
		s, sok := arg.(types.String)
		if !ok || !sok {
			return types.NewErr("unexpected arguments %v, %v", recv, arg)
		}
		v.typ = typ
		set(&v.attrs, string(s))
		return v
	}
}

func (r right) covers(want right) bool {
	return r.verb == want.verb && r.group == want.group && r.resource == want.resource &&
		r.subresource == want.subresource && r.namespace == want.namespace && (r.name == "" || r.name == want.name)
}

var fakeAuthorizerLib = []cel.EnvOption{
	cel.Variable("authorizer", authorizerType),
	cel.Function("group", cel.MemberOverload("authorizer_group", []*cel.Type{authorizerType, cel.StringType}, groupCheckType,
		cel.BinaryBinding(with(groupCheckType, func(r *right, s string) { r.group = s })))),
	cel.Function("resource", cel.MemberOverload("groupcheck_resource", []*cel.Type{groupCheckType, cel.StringType}, resourceCheckType,
		cel.BinaryBinding(with(resourceCheckType, func(r *right, s string) { r.resource = s })))),
	cel.Function("subresource", cel.MemberOverload("resourcecheck_subresource", []*cel.Type{resourceCheckType, cel.StringType}, resourceCheckType,
		cel.BinaryBinding(with(resourceCheckType, func(r *right, s string) { r.subresource = s })))),
	cel.Function("namespace", cel.MemberOverload("resourcecheck_namespace", []*cel.Type{resourceCheckType, cel.StringType}, resourceCheckType,
		cel.BinaryBinding(with(resourceCheckType, func(r *right, s string) { r.namespace = s })))),
	cel.Function("name", cel.MemberOverload("resourcecheck_name", []*cel.Type{resourceCheckType, cel.StringType}, resourceCheckType,
		cel.BinaryBinding(with(resourceCheckType, func(r *right, s string) { r.name = s })))),
	cel.Function("check", cel.MemberOverload("resourcecheck_check", []*cel.Type{resourceCheckType, cel.StringType}, decisionType,
		cel.BinaryBinding(func(recv, arg ref.Val) ref.Val {
			v := with(decisionType, func(r *right, s string) { r.verb = s })(recv, arg)
			d, ok := v.(authzVal)
			if !ok {
				return v
			}
			for _, r := range d.rights {
				d.allowed = d.allowed || r.covers(d.attrs)
			}
			return d
		}))),
	cel.Function("allowed", cel.MemberOverload("decision_allowed", []*cel.Type{decisionType}, cel.BoolType,
		cel.UnaryBinding(func(recv ref.Val) ref.Val {
			d, ok := recv.(authzVal)
			if !ok {
				return types.NewErr("allowed() on %v", recv)
			}
			return types.Bool(d.allowed)
		}))),
}

// admissionRequest is what a policy sees of one request.
type admissionRequest struct {
	operation, namespace, user string
	object, oldObject          map[string]any
	rights                     []right
}

// verdict of a policy for a request: whether it matched, and the refusal message if it refused.
type verdict struct {
	matched bool
	denied  bool
	message string
}

// evalPolicy evaluates a ValidatingAdmissionPolicy's match conditions, variables and validations
// for req as the API server would (the resource rules are left to the caller). Expressions are
// compiled with the request's values typed dyn: a type error the API server's schema-aware
// checker would report is not found here.
func evalPolicy(t *testing.T, p *admissionregistrationv1.ValidatingAdmissionPolicy, req admissionRequest) verdict {
	t.Helper()
	env, err := cel.NewEnv(append([]cel.EnvOption{
		cel.Variable("request", cel.DynType), cel.Variable("object", cel.DynType),
		cel.Variable("oldObject", cel.DynType), cel.Variable("variables", cel.DynType),
		// The API server's string extensions (join, split, ...).
		ext.Strings(ext.StringsVersion(2)),
	}, fakeAuthorizerLib...)...)
	if err != nil {
		t.Fatal(err)
	}
	vars := map[string]any{}
	var oldObject any = types.NullValue
	if req.oldObject != nil {
		oldObject = req.oldObject
	}
	act := map[string]any{
		"request": map[string]any{
			"operation": req.operation, "namespace": req.namespace,
			"userInfo": map[string]any{"username": req.user},
		},
		"object": req.object, "oldObject": oldObject, "variables": vars,
		"authorizer": authzVal{typ: authorizerType, rights: req.rights},
	}
	eval := func(what, expr string) ref.Val {
		t.Helper()
		ast, iss := env.Compile(expr)
		if iss.Err() != nil {
			t.Fatalf("%s: compile %q: %v", what, expr, iss.Err())
		}
		prg, err := env.Program(ast)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		out, _, err := prg.Eval(act)
		if err != nil {
			t.Fatalf("%s: eval %q: %v", what, expr, err)
		}
		return out
	}
	for _, mc := range p.Spec.MatchConditions {
		if eval("matchCondition "+mc.Name, mc.Expression) != types.True {
			return verdict{}
		}
	}
	for _, v := range p.Spec.Variables {
		vars[v.Name] = eval("variable "+v.Name, v.Expression).Value()
	}
	for _, v := range p.Spec.Validations {
		if eval("validation", v.Expression) == types.True {
			continue
		}
		msg := v.Message
		if v.MessageExpression != "" {
			s, ok := eval("messageExpression", v.MessageExpression).Value().(string)
			if !ok {
				t.Fatalf("messageExpression %q is not a string", v.MessageExpression)
			}
			msg = s
		}
		return verdict{matched: true, denied: true, message: msg}
	}
	return verdict{matched: true}
}
