; Function definitions: the unit facts are collected for.
(function_definition
  type: (_) @return_type
  declarator: (_) @declarator
  body: (compound_statement) @body) @function
