/** Algorithm kinds, with Sedna's values so that plugins and configs written for Sedna read the same. */
export const ClassType = {
  GENERAL: 'general',
  HEM: 'hard_example_mining',
  CALLBACK: 'callback',
  FL_AGG: 'aggregation',
  MTL: 'multi_task_learning',
  UTD: 'unseen_task_detect',
  UTP: 'unseen_task_processing',
  STP: 'seen_task_processing',
  KM: 'knowledge_management',
} as const;

export type ClassType = (typeof ClassType)[keyof typeof ClassType];
