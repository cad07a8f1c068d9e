// What the runs did, so a green run can show it tested something: settles and objects checked,
// crashes by kind (in-process, or a child that kill -9d itself), outages that began in mid-pass.
export const tally = {
  settles: 0,
  steps: 0,
  objectsChecked: 0,
  holds: 0,
  crashes: 0,
  children: 0,
  childKills: 0,
  multipartCrashes: 0,
  cuts: 0,
};
