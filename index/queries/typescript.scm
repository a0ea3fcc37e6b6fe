; TypeScript (and TSX) only.

(public_field_definition
  name: (_) @name
  value: [
    (arrow_function body: (_) @body)
    (function_expression body: (_) @body)
  ]) @function
(abstract_class_declaration name: (_) @name body: (_) @body) @class
(interface_declaration name: (_) @name body: (_) @body) @class
(enum_declaration name: (_) @name body: (_) @body) @class
(internal_module name: (_) @name body: (_) @body) @scope
(module name: (_) @name body: (_) @body) @scope

; Declarations without a body: a `def` in the graph, but no chunk of their own.
(function_signature name: (_) @name) @decl
(method_signature name: (_) @name) @decl
(abstract_method_signature name: (_) @name) @decl
(type_alias_declaration name: (_) @name) @decl
