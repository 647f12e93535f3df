-- spec/gc_stress.lua: a busted helper (--helper) that makes the collector run all the time,
-- so that a value the binding forgot to anchor (a string under a C pointer, a userdata
-- between two calls) is collected at once and ASan sees the use after free. Used by the
-- "gc-stress" suite of tools/run-tests.sh.
if not pcall(collectgarbage, "setpause", 0) then collectgarbage("incremental", 0, 100) end
-- and a step every 100 VM instructions, also inside the module's callbacks (token, log)
debug.sethook(function() collectgarbage("step") end, "", 100)
