'use strict';
/* Stand-in: LuCI's baseclass module is the class system of luci.js. */
return L.Class;
